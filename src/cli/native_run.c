/*
 * native_run.c - `sluice run --tier native`: the module's compiled code from the cache
 * ($SLUICE_CACHE, default ~/.cache/sluice, one <sha256>.cwasm per module), compiled first by
 * sluice-compile (beside this binary) when the entry is missing or does not check out. This
 * binary never links LLVM: it only maps the object (src/vm/native_load.c).
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/file.h"
#include "cli/cli.h"
#include "cli/cwasm.h"
#include "vm/native.h"

extern char **environ;

static void mkdirs(char *path) {
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(path, 0755);
            *p = '/';
        }
    mkdir(path, 0755);
}

/* Run sluice-compile FILE -o OUT; true if it succeeded. */
static bool compile_into(const char *file, const char *out) {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
    if (n <= 0) return false;
    self[n] = 0;
    char *slash = strrchr(self, '/');
    strcpy(slash ? slash + 1 : self, "sluice-compile");
    char *argv[] = {self, (char *)file, "-o", (char *)out, NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, NULL, NULL, argv, environ)) return false;
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return false;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static sl_native_code *load_entry(const char *path, const char *sha, const char **why) {
    size_t len;
    uint8_t *file = (uint8_t *)sl_read_file(path, 0, &len, NULL);
    *why = "missing";
    if (!file) return NULL;
    size_t objlen;
    const uint8_t *obj = sl_cwasm_object(file, len, sha, SL_NATIVE_ABI, 0, &objlen, why);
    sl_native_code *code = NULL;
    sl_error err = {0};
    if (obj && sl_native_load(obj, objlen, &code, &err) != SL_OK) *why = "refused by the loader";
    free(file);
    return code;
}

sl_native_code *cli_native_code(const char *file, const uint8_t *bytes, size_t len) {
    char sha[SL_SHA256_HEX_LEN + 1];
    if (!sl_sha256_hex(bytes, len, sha, NULL)) return NULL;
    const char *dir = getenv("SLUICE_CACHE");
    char dirbuf[4096], path[4200];
    if (!dir || !*dir) {
        const char *home = getenv("HOME");
        snprintf(dirbuf, sizeof dirbuf, "%s/.cache/sluice", home && *home ? home : "/tmp");
        dir = dirbuf;
    } else {
        snprintf(dirbuf, sizeof dirbuf, "%s", dir);
        dir = dirbuf;
    }
    snprintf(path, sizeof path, "%s/%s.cwasm", dir, sha);
    const char *why;
    sl_native_code *code = load_entry(path, sha, &why);
    if (code) return code;
    mkdirs(dirbuf);
    if (!compile_into(file, path) || !(code = load_entry(path, sha, &why))) {
        fprintf(stderr, "sluice: %s: no native code (%s); running on the interpreter\n", file, why);
        return NULL;
    }
    return code;
}
