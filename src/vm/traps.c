/* traps.c - turning faults on guard pages into wasm traps.
 *
 * A guest's out-of-bounds access in guard mode touches a PROT_NONE page of its memory's
 * reservation. The SIGSEGV/SIGBUS handler checks that the faulting address belongs to a
 * memory of the store running on this thread, and if so jumps back to that activation
 * (sl_interp_call), which reports SL_TRAP_MEMORY_OOB. Any other fault is not ours: the
 * previous handler (or the default action) gets it. SA_NODEFER keeps the signal unblocked
 * after the jump, so the cheaper sigsetjmp(env, 0) is enough. */
#include <signal.h>
#include <string.h>
#include <ucontext.h>

#include "vm/runtime.h"

__thread sl_exec *sl_current_exec;

static struct sigaction old_segv, old_bus;
static pthread_once_t once = PTHREAD_ONCE_INIT;

bool sl_store_owns_address(sl_store *store, uintptr_t addr) {
    for (sl_memory *m = store->memories; m; m = m->next_in_store)
        if (m->guarded && addr >= (uintptr_t)m->base && addr < (uintptr_t)m->base + m->reserved)
            return true;
    return false;
}

static void on_fault(int sig, siginfo_t *info, void *uctx) {
    sl_exec *ex = sl_current_exec;
    if (ex && sl_store_owns_address(ex->store, (uintptr_t)info->si_addr)) {
        /* Back to the mask of the faulting code before jumping (sigsetjmp(env, 0) does not
         * save one). SA_NODEFER and an empty sa_mask leave it unchanged here, but a runtime
         * that wraps our handler may run it with more blocked: ThreadSanitizer blocks every
         * signal while a handler runs, and a second guard-page fault with SIGSEGV blocked
         * would kill the process. One syscall, on the trap path only. */
        pthread_sigmask(SIG_SETMASK, &((ucontext_t *)uctx)->uc_sigmask, NULL);
        siglongjmp(ex->jmp, SL_TRAP_MEMORY_OOB);
    }
    /* Not a guest access: hand it on. */
    struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
    if (old->sa_flags & SA_SIGINFO && old->sa_sigaction) {
        old->sa_sigaction(sig, info, uctx);
        return;
    }
    if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN && old->sa_handler) {
        old->sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL); /* re-executing the access now kills the process as it should */
}

static void install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
}

void sl_traps_init(void) {
    pthread_once(&once, install);
}
