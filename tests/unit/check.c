/*
 * check.c - the unit test runner: registry, checks, helpers and main.
 *
 * Usage: unit-tests [-v] [-n] [-t SECONDS] [NAME...]
 *   NAME  run only tests whose name contains one of the NAMEs
 *   -v    print every test's name and result
 *   -n    do not fork (run tests in this process, for debuggers)
 *   -t    time limit per test (default 60 s)
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TESTS          512
#define FAILED_CHECKS_EXIT 100 /* a test child's status when a check failed */

static struct {
    const char *name;
    check_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int failed_checks; /* in the current test */
static const char *current_test;

void check_register(const char *name, check_test_fn fn) {
    if (ntests == MAX_TESTS) {
        fprintf(stderr, "check: too many tests\n");
        abort();
    }
    tests[ntests].name = name;
    tests[ntests].fn = fn;
    ntests++;
}

bool check_result(bool ok, const char *expr, const char *file, int line) {
    if (!ok) {
        failed_checks++;
        printf("  FAIL %s: %s:%d: %s\n", current_test, file, line, expr);
        fflush(stdout);
    }
    return ok;
}

bool check_eq_i64(int64_t got, int64_t want, const char *expr, const char *file, int line) {
    bool ok = got == want;
    if (!ok) {
        failed_checks++;
        printf("  FAIL %s: %s:%d: %s (got %lld, want %lld)\n", current_test, file, line, expr,
               (long long)got, (long long)want);
        fflush(stdout);
    }
    return ok;
}

bool check_result_status(sl_status got, sl_status want, const sl_error *err, const char *expr,
                         const char *file, int line) {
    if (got != want) {
        failed_checks++;
        printf("  FAIL %s: %s:%d: %s is %s, want %s", current_test, file, line, expr,
               sl_status_name(got), sl_status_name(want));
        if (err)
            printf(" (error: %s, trap %s, \"%s\")", sl_status_name(err->status),
                   sl_trap_message(err->trap), err->message);
        printf("\n");
        fflush(stdout);
    }
    return got == want;
}

void check_note(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("  note %s: ", current_test);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

uint8_t *wat_to_wasm(const char *wat, size_t *len) {
    char dir[] = "/tmp/sluice-unit-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp failed");
        return NULL;
    }
    char in[64], outp[64], cmd[256];
    snprintf(in, sizeof in, "%s/m.wat", dir);
    snprintf(outp, sizeof outp, "%s/m.wasm", dir);
    uint8_t *bytes = NULL;
    if (write_file(in, wat, strlen(wat))) {
        snprintf(cmd, sizeof cmd, "wat2wasm --no-check '%s' -o '%s'", in, outp);
        fflush(stdout);
        if (system(cmd) == 0) {
            FILE *f = fopen(outp, "rb");
            if (f) {
                fseek(f, 0, SEEK_END);
                long n = ftell(f);
                fseek(f, 0, SEEK_SET);
                bytes = malloc(n > 0 ? (size_t)n : 1);
                if (bytes && fread(bytes, 1, (size_t)n, f) != (size_t)n) {
                    free(bytes);
                    bytes = NULL;
                }
                *len = (size_t)n;
                fclose(f);
            }
        }
    }
    unlink(in);
    unlink(outp);
    rmdir(dir);
    if (!bytes) CHECK(!"wat2wasm failed");
    return bytes;
}

sl_module *wat_module(sl_engine *engine, const char *wat) {
    size_t len;
    uint8_t *bytes = wat_to_wasm(wat, &len);
    if (!bytes) return NULL;
    sl_error err = {0};
    sl_module *m = sl_module_new(engine, bytes, len, &err);
    free(bytes);
    if (!m) {
        CHECK(!"sl_module_new failed");
        check_note("sl_module_new: %s: %s (offset %lld)", sl_status_name(err.status), err.message,
                   (long long)err.offset);
    }
    return m;
}

sl_instance *wat_instance(sl_store *store, sl_engine *engine, const char *wat, sl_module **module) {
    *module = wat_module(engine, wat);
    if (!*module) return NULL;
    sl_error err = {0};
    sl_instance *inst = sl_instantiate(store, *module, NULL, &err);
    if (!inst) {
        CHECK(!"sl_instantiate failed");
        check_note("sl_instantiate: %s: %s", sl_status_name(err.status), err.message);
    }
    return inst;
}

static bool selected(const char *name, int argc, char **argv, int first) {
    if (first >= argc) return true;
    for (int i = first; i < argc; i++)
        if (strstr(name, argv[i])) return true;
    return false;
}

/* Runs one test; returns true when it passed. */
static bool run_test(int i, bool fork_tests, double timeout_s) {
    current_test = tests[i].name;
    if (!fork_tests) {
        failed_checks = 0;
        tests[i].fn();
        return failed_checks == 0;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return false;
    }
    if (pid == 0) {
        failed_checks = 0;
        tests[i].fn();
        fflush(stdout);
        exit(failed_checks ? FAILED_CHECKS_EXIT : 0);
    }
    double deadline = now_ms() + timeout_s * 1e3;
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            perror("waitpid");
            return false;
        }
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            printf("  FAIL %s: timed out after %.0f s\n", tests[i].name, timeout_s);
            return false;
        }
        usleep(2000);
    }
    if (WIFSIGNALED(status)) {
        printf("  FAIL %s: crashed (signal %d, %s)\n", tests[i].name, WTERMSIG(status),
               strsignal(WTERMSIG(status)));
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) != FAILED_CHECKS_EXIT)
            printf("  FAIL %s: exited with status %d (a sanitizer report?)\n", tests[i].name,
                   WEXITSTATUS(status));
        return false;
    }
    return true;
}

int main(int argc, char **argv) {
    bool verbose = false, fork_tests = true;
    double timeout = 60;
    int opt;
    while ((opt = getopt(argc, argv, "vnt:")) != -1) {
        switch (opt) {
        case 'v': verbose = true; break;
        case 'n': fork_tests = false; break;
        case 't': timeout = atof(optarg); break;
        default: fprintf(stderr, "usage: unit-tests [-v] [-n] [-t SECONDS] [NAME...]\n"); return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (!selected(tests[i].name, argc, argv, optind)) continue;
        double t0 = now_ms();
        bool ok = run_test(i, fork_tests, timeout);
        if (ok)
            passed++;
        else
            failed++;
        if (verbose || !ok)
            printf("%s %s (%.0f ms)\n", ok ? "ok  " : "FAIL", tests[i].name, now_ms() - t0);
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
