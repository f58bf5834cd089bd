/* http_client.c - the client commands' HTTP requests, made with libcurl. */
#include "cli/net/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
    return sl_buf_append(ud, p, size * n) ? size * n : 0;
}

/* libcurl passes every header line of every response it reads (a 100 Continue, say, before
 * the final one); each response starts with its status line, so a new one starts afresh. */
static size_t on_header(char *p, size_t size, size_t n, void *ud) {
    sl_buf *b = ud;
    if (size * n >= 5 && !memcmp(p, "HTTP/", 5)) b->len = 0; /* the next append terminates it */
    return sl_buf_append(b, p, size * n) ? size * n : 0;
}

bool net_http_init(void) {
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}
void net_http_cleanup(void) {
    curl_global_cleanup();
}

static struct curl_slist *add_header(struct curl_slist *list, const char *h, bool *ok) {
    struct curl_slist *l = curl_slist_append(list, h);
    if (!l) {
        *ok = false;
        return list;
    }
    return l;
}

bool net_http_send(const net_request *req, net_reply *rep) {
    memset(rep, 0, sizeof *rep);
    sl_buf body = {0}, head = {0};
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(rep->error, sizeof rep->error, "cannot start libcurl");
        return false;
    }
    bool ok = true;
    struct curl_slist *hdrs = NULL;
    char *auth = NULL, *ctype = NULL;
    if (req->token) {
        size_t n = strlen(req->token) + sizeof "Authorization: Bearer ";
        if ((auth = malloc(n))) {
            snprintf(auth, n, "Authorization: Bearer %s", req->token);
            hdrs = add_header(hdrs, auth, &ok);
        } else {
            ok = false;
        }
    }
    if (req->has_body) {
        /* Without a type of our own, libcurl would label a body form-urlencoded; and its
         * "Expect: 100-continue" would cost a round trip for nothing. */
        const char *t = req->content_type ? req->content_type : "";
        size_t n = strlen(t) + sizeof "Content-Type: ";
        if ((ctype = malloc(n))) {
            snprintf(ctype, n, "Content-Type: %s", t);
            hdrs = add_header(hdrs, *t ? ctype : "Content-Type:", &ok);
        } else {
            ok = false;
        }
        hdrs = add_header(hdrs, "Expect:", &ok);
    }
    for (size_t i = 0; i < req->nheaders; i++)
        hdrs = add_header(hdrs, req->headers[i], &ok);

    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sluice");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rep->error);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
    if (!strcmp(req->method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (req->has_body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body_len ? req->body : "");
    }

    if (ok) {
        CURLcode rc = curl_easy_perform(c);
        if (rc == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rep->status);
        } else {
            if (!rep->error[0])
                snprintf(rep->error, sizeof rep->error, "%s", curl_easy_strerror(rc));
            ok = false;
        }
    } else {
        snprintf(rep->error, sizeof rep->error, "out of memory");
    }
    if (ok && (body.failed || head.failed)) {
        snprintf(rep->error, sizeof rep->error, "out of memory reading the answer");
        ok = false;
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    free(auth);
    free(ctype);
    rep->body = body.data ? body.data : calloc(1, 1);
    rep->body_len = body.len;
    rep->headers = head.data ? head.data : calloc(1, 1);
    rep->headers_len = head.len;
    if (ok && (!rep->body || !rep->headers)) {
        snprintf(rep->error, sizeof rep->error, "out of memory");
        ok = false;
    }
    return ok;
}

void net_reply_free(net_reply *rep) {
    free(rep->body);
    free(rep->headers);
    rep->body = rep->headers = NULL;
}

char *net_escape(const char *s) {
    /* libcurl ignores the handle since 7.82 */
    char *e = curl_easy_escape(NULL, s, (int)strlen(s));
    char *copy = e ? strdup(e) : NULL;
    curl_free(e);
    return copy;
}
