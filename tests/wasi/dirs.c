/* dirs.c - directories in /sandbox: mkdir, readdir, rename, unlink, rmdir, symlinks that
 * stay inside, readlink, hard links. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print a directory's entries sorted, without . and .. (implementations differ there). */
static void list(const char *path) {
    DIR *d = opendir(path);
    CHECK(d != NULL);
    if (!d) return;
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    putchar('\n');
}

static void touch(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

int main(void) {
    CHECK(chdir("/sandbox") == 0);
    CHECK(mkdir("d", 0755) == 0);
    CHECK_FAILS(mkdir("d", 0755), EEXIST);
    CHECK(mkdir("d/sub", 0755) == 0);
    CHECK(mkdir("d/sub/deeper/", 0755) == 0);
    touch("d/a.txt", "A");
    touch("d/b.txt", "BB");
    touch("d/sub/c.txt", "CCC");
    list("d");
    list("d/sub");

    /* many entries, so readdir needs several fd_readdir calls */
    CHECK(mkdir("d/many", 0755) == 0);
    char name[64];
    for (int i = 0; i < 150; i++) {
        snprintf(name, sizeof name, "d/many/entry_with_a_fairly_long_name_%03d", i);
        touch(name, "");
    }
    DIR *dir = opendir("d/many");
    int count = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        count += e->d_name[0] != '.';
    closedir(dir);
    printf("many: %d entries\n", count);
    for (int i = 0; i < 150; i++) {
        snprintf(name, sizeof name, "d/many/entry_with_a_fairly_long_name_%03d", i);
        CHECK(unlink(name) == 0);
    }
    CHECK(rmdir("d/many") == 0);

    struct stat st;
    CHECK(stat("d/sub", &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(stat("d/b.txt", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 2);

    /* rename a file and a directory */
    CHECK(rename("d/a.txt", "d/sub/a2.txt") == 0);
    CHECK_FAILS(stat("d/a.txt", &st), ENOENT);
    CHECK(rename("d/sub", "d/moved") == 0);
    list("d");
    list("d/moved");
    CHECK(rename("d/b.txt", "d/moved/c.txt") == 0); /* replaces */
    CHECK(stat("d/moved/c.txt", &st) == 0 && st.st_size == 2);

    /* symlinks and hard links that stay inside */
    CHECK(symlink("moved/c.txt", "d/link") == 0);
    char target[64] = {0};
    CHECK(readlink("d/link", target, sizeof target) == 11 && !strcmp(target, "moved/c.txt"));
    CHECK(lstat("d/link", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("d/link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 2);
    int fd = open("d/link", O_RDONLY);
    CHECK(fd >= 0 && read(fd, target, 2) == 2 && !memcmp(target, "BB", 2));
    close(fd);
    CHECK(symlink("./moved", "d/dirlink") == 0);
    CHECK(stat("d/dirlink/c.txt", &st) == 0);
    CHECK(link("d/moved/c.txt", "d/hard") == 0);
    CHECK(stat("d/hard", &st) == 0 && st.st_nlink == 2);
    list("d");

    /* .. inside the sandbox is fine */
    CHECK(stat("d/moved/../moved/./c.txt", &st) == 0);

    /* removal */
    CHECK_FAILS(rmdir("d/moved"), ENOTEMPTY);
    CHECK_FAILS(unlink("d/moved"), EISDIR);
    CHECK_FAILS(rmdir("d/hard"), ENOTDIR);
    CHECK(unlink("d/link") == 0);
    CHECK(unlink("d/dirlink") == 0);
    CHECK(unlink("d/hard") == 0);
    CHECK(unlink("d/moved/c.txt") == 0);
    CHECK(unlink("d/moved/a2.txt") == 0);
    CHECK(rmdir("d/moved/deeper") == 0);
    CHECK(rmdir("d/moved") == 0);
    list("d");
    CHECK(rmdir("d") == 0);
    CHECK_FAILS(rmdir("d"), ENOENT);
    FINISH();
}
