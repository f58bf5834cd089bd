/* timeit.c - runs a command several times and reports its wall-clock time, keeping the
 * output of the last run. A small stand-in for hyperfine that also captures stdout, so one
 * set of runs gives both the timing and the output to verify.
 *
 * Usage: timeit [-n RUNS] [-o STDOUT_FILE] [-e STDERR_FILE] [-t TIMEOUT_S] -- CMD [ARGS...]
 * Prints "MIN MEAN" in seconds on stdout. Exits 1 if a run fails (non-zero exit status,
 * killed, or timed out), after printing "FAIL <reason>". */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static volatile pid_t child;

static void on_alarm(int sig) {
    (void)sig;
    timed_out = 1;
    kill(child, SIGKILL);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int redirect(const char *path, int fd) {
    if (!path) return 0;
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f < 0 || dup2(f, fd) < 0) return -1;
    close(f);
    return 0;
}

int main(int argc, char **argv) {
    int runs = 3;
    double timeout = 0;
    const char *out = NULL, *errf = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) break;
        if (strcmp(argv[i], "-n") == 0)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "-o") == 0)
            out = argv[++i];
        else if (strcmp(argv[i], "-e") == 0)
            errf = argv[++i];
        else if (strcmp(argv[i], "-t") == 0)
            timeout = atof(argv[++i]);
        else
            break;
    }
    if (i >= argc || runs < 1) {
        fprintf(stderr, "usage: timeit [-n RUNS] [-o OUT] [-e ERR] [-t TIMEOUT_S] -- CMD...\n");
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    double best = 1e300, total = 0;
    for (int r = 0; r < runs; r++) {
        double start = now();
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            if (redirect(out, 1) || redirect(errf, 2)) _exit(126);
            execvp(argv[i], argv + i);
            _exit(127);
        }
        int status = 0;
        timed_out = 0;
        child = pid;
        if (timeout > 0) {
            struct itimerval it = {
                {0, 0}, {(time_t)timeout, (suseconds_t)((timeout - (time_t)timeout) * 1e6)}};
            setitimer(ITIMER_REAL, &it, NULL);
        }
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR) {
                perror("waitpid");
                return 2;
            }
        }
        if (timeout > 0) {
            struct itimerval off = {{0, 0}, {0, 0}};
            setitimer(ITIMER_REAL, &off, NULL);
        }
        if (timed_out) {
            printf("FAIL timeout after %g s\n", timeout);
            return 1;
        }
        double t = now() - start;
        if (WIFSIGNALED(status)) {
            printf("FAIL signal %d\n", WTERMSIG(status));
            return 1;
        }
        if (WEXITSTATUS(status) != 0) {
            printf("FAIL exit %d\n", WEXITSTATUS(status));
            return 1;
        }
        if (t < best) best = t;
        total += t;
    }
    printf("%.6f %.6f\n", best, total / runs);
    return 0;
}
