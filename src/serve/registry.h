/*
 * registry.h - the function registry of `sluice serve`: functions, their immutable versions
 * and aliases, in an embedded SQLite database, with the modules in a content-addressed blob
 * store. See docs/registry.md.
 *
 * On disk, under DATA (the caller picks it; `sluice serve` uses ./sluice-data):
 *   DATA/sluice.db   SQLite, WAL mode; schema versioned with PRAGMA user_version, created or
 *                    migrated on open
 *   DATA/blobs/SHA   each distinct module once, named by its lowercase hex SHA-256
 *   DATA/token       the API token: 64 hex digits, mode 0600, made on first open, never changed
 *
 * A function has a name ([a-z0-9][a-z0-9_-]{0,62}) and versions. A version is a module plus
 * its configuration; it is identified by the module's SHA-256 and never changes. Aliases
 * name versions: `latest` follows every add_version; others (prod, ...) move only when set.
 *
 * References ("refs") to a version: "NAME" (= NAME@latest), "NAME@ALIAS", or "NAME@HEX" with
 * HEX at least 8 hex digits of the SHA-256 (it must match exactly one version of NAME).
 *
 * Errors: every function returns a status (it maps to an HTTP code) and, for anything but
 * SL_REG_OK, fills err (which may be NULL; base/error.h) with a message saying what failed
 * and why.
 *
 * Thread safety: an sl_registry may be used from any number of threads at once; a mutex
 * serializes its use of the database connection (module validation and hashing run outside
 * it). Several processes may open the same DATA (SQLite locking + WAL), but blobs are only
 * garbage-collected safely when a single process writes to DATA.
 */
#ifndef SL_SERVE_REGISTRY_H
#define SL_SERVE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/name.h"
#include "fn/config.h"   /* sl_fn_config */
#include "fn/declared.h" /* sl_fn_declared */
#include "fn/resolve.h"  /* sl_fn_resolver */

#define SL_REG_NAME_MAX   SL_NAME_MAX /* function and alias names (base/name.h) */
#define SL_REG_SHA_LEN    64
#define SL_REG_MIN_PREFIX 8 /* shortest SHA-256 prefix a ref may use */

typedef enum sl_reg_status {
    SL_REG_OK = 0,
    SL_REG_INVALID,   /* a bad argument: name, ref, module or config (HTTP 400) */
    SL_REG_NOT_FOUND, /* no such function, alias or version (404) */
    SL_REG_EXISTS,    /* the function exists already, or a version differs in config (409) */
    SL_REG_AMBIGUOUS, /* a SHA-256 prefix matches several versions (409) */
    SL_REG_ERROR,     /* SQLite, the file system, OpenSSL or memory failed (500) */
} sl_reg_status;

typedef struct sl_fn_version {
    char function[SL_REG_NAME_MAX + 1];
    char sha256[SL_REG_SHA_LEN + 1];
    uint64_t size;   /* module bytes */
    int64_t created; /* Unix time, seconds */
    sl_fn_config config;
    sl_fn_declared declared; /* what the module's sluice.fn section says, if it has one */
    char **aliases;          /* sorted by name; filled by list_versions and resolve */
    uint32_t naliases;
} sl_fn_version;

void sl_fn_version_clear(sl_fn_version *v);
void sl_fn_versions_free(sl_fn_version *v, size_t n);

typedef struct sl_fn_info {
    char name[SL_REG_NAME_MAX + 1];
    int64_t created;
    uint32_t nversions;
    char latest[SL_REG_SHA_LEN + 1]; /* "" when the function has no version yet */
} sl_fn_info;

typedef struct sl_registry sl_registry;

/* Opens (creating what is missing: DATA itself, mode 0700, but not its parents) the
 * registry in data_dir. Also removes leftover temp files and blobs no version refers to. */
sl_registry *sl_registry_open(const char *data_dir, sl_error *err);
void sl_registry_close(sl_registry *reg);
/* The API token (64 hex digits), valid until close. */
const char *sl_registry_token(const sl_registry *reg);

/* Whether name is a valid function or alias name. */
bool sl_registry_name_ok(const char *name);

sl_reg_status sl_registry_create_function(sl_registry *reg, const char *name, sl_error *err);
/* All functions, sorted by name, as a malloc'd array (free() it; NULL when n is 0). */
sl_reg_status sl_registry_list_functions(sl_registry *reg, sl_fn_info **out, size_t *n,
                                         sl_error *err);
/* Removes the function, its versions and aliases, and the blobs no other version uses. */
sl_reg_status sl_registry_delete_function(sl_registry *reg, const char *name, sl_error *err);

/* Validates the module (sl_module_validate) and the config, stores the module once and
 * records it as a version of fn, then points `latest` at it. sha256 (65 bytes, may be NULL)
 * receives the version; *created (may be NULL) whether it is new. The same bytes with the
 * same config again give the existing version (and move `latest` back to it); the same bytes
 * with a different config are SL_REG_EXISTS, since versions are immutable. The module's
 * sluice.fn declaration is kept with the version (a malformed one is SL_REG_INVALID); making
 * the config agree with it is the caller's part (sl_fn_declared_apply). On any failure
 * nothing is stored. */
sl_reg_status sl_registry_add_version(sl_registry *reg, const char *fn, const uint8_t *bytes,
                                      size_t len, const sl_fn_config *cfg, char *sha256,
                                      bool *created, sl_error *err);

/* Points alias at the version `target` names: an alias of fn, or a SHA-256 prefix (at least
 * 8 hex digits). One transaction. Aliases are names like functions' but may not be 8 or more
 * hex digits (they would read as a SHA-256 prefix). */
sl_reg_status sl_registry_set_alias(sl_registry *reg, const char *fn, const char *alias,
                                    const char *target, sl_error *err);
/* Replaces the configuration of the version `target` names (an alias or a SHA-256 prefix;
 * NULL = latest). A version's module never changes; its configuration may. */
sl_reg_status sl_registry_set_config(sl_registry *reg, const char *fn, const char *target,
                                     const sl_fn_config *cfg, sl_error *err);
/* A number that changes whenever this registry commits a change: callers that cache what
 * refs resolve to compare it to know when to look again. */
uint64_t sl_registry_generation(sl_registry *reg);
/* Removes a user alias (`latest` cannot be removed). */
sl_reg_status sl_registry_delete_alias(sl_registry *reg, const char *fn, const char *alias,
                                       sl_error *err);

/* Resolves a ref ("NAME", "NAME@ALIAS", "NAME@HEX") to a version (clear it after). */
sl_reg_status sl_registry_resolve(sl_registry *reg, const char *ref, sl_fn_version *out,
                                  sl_error *err);
/* fn's versions, newest first, each with its aliases (free with sl_fn_versions_free). */
sl_reg_status sl_registry_list_versions(sl_registry *reg, const char *fn, sl_fn_version **out,
                                        size_t *n, sl_error *err);
/* The module bytes of a version (full SHA-256), malloc'd; checked against the digest. */
/* The registry as the resolver pipelines use for `function: NAME@REF` (fn/resolve.h). */
sl_fn_resolver sl_registry_resolver(sl_registry *reg);

sl_reg_status sl_registry_load_blob(sl_registry *reg, const char *sha256, uint8_t **bytes,
                                    size_t *len, sl_error *err);

#endif
