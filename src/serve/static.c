/*
 * static.c - the console's files: `/` is web/index.html, `/pca` web/pca.html, and
 * `/static/NAME` web/NAME. NAME may only be a plain file name (letters, digits, '.', '-',
 * '_', not starting with '.'), so no request can name a file outside the web folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "serve/server_impl.h"

static bool plain_name(const char *s) {
    if (!*s || *s == '.') return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '-' || *s == '_'))
            return false;
    return true;
}

static const char *content_type(const char *name) {
    static const struct {
        const char *ext, *type;
    } TYPES[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".csv", "text/csv; charset=utf-8"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof TYPES / sizeof *TYPES; i++)
        if (!strcmp(dot, TYPES[i].ext)) return TYPES[i].type;
    return "application/octet-stream";
}

void sl_static_handle(sl_req *r) {
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        sl_resp_error(r, 405, "method_not_allowed", "%s is not allowed on %s", r->method, r->path);
        return;
    }
    const char *name = !strcmp(r->path, "/")              ? "index.html"
                       : !strcmp(r->path, "/pca")         ? "pca.html"
                       : !strcmp(r->path, "/dashboard")   ? "dashboard.html"
                       : !strcmp(r->path, "/favicon.ico") ? "favicon.ico"
                                                          : r->path + 8; /* after /static/ */
    const char *web = r->srv->cfg.web_dir;
    if (!web || !plain_name(name)) {
        sl_resp_error(r, 404, "not_found", "no such file: %s", r->path);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", web, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        if (fd >= 0) close(fd);
        sl_resp_error(r, 404, "not_found", "no such file: %s", r->path);
        return;
    }
    char *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(buf);
        sl_resp_error(r, 500, "error", "cannot read %s: %s", name, strerror(errno));
        return;
    }
    struct MHD_Response *resp = sl_resp_bytes(r, 200, content_type(name), buf, (size_t)got);
    if (resp) MHD_add_response_header(resp, "Cache-Control", "no-cache");
}
