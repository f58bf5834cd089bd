/* errno.c - host (Linux/POSIX) errno values translated to WASI errno values. */
#include <errno.h>

#include "wasi/wasi_impl.h"

int wasi_errno(int e) {
    switch (e) {
    case 0: return W_ESUCCESS;
    case E2BIG: return W_E2BIG;
    case EACCES: return W_EACCES;
    case EADDRINUSE: return W_EADDRINUSE;
    case EADDRNOTAVAIL: return W_EADDRNOTAVAIL;
    case EAFNOSUPPORT: return W_EAFNOSUPPORT;
    case EAGAIN: return W_EAGAIN;
    case EALREADY: return W_EALREADY;
    case EBADF: return W_EBADF;
    case EBADMSG: return W_EBADMSG;
    case EBUSY: return W_EBUSY;
    case ECANCELED: return W_ECANCELED;
    case ECHILD: return W_ECHILD;
    case ECONNABORTED: return W_ECONNABORTED;
    case ECONNREFUSED: return W_ECONNREFUSED;
    case ECONNRESET: return W_ECONNRESET;
    case EDEADLK: return W_EDEADLK;
    case EDESTADDRREQ: return W_EDESTADDRREQ;
    case EDOM: return W_EDOM;
    case EDQUOT: return W_EDQUOT;
    case EEXIST: return W_EEXIST;
    case EFAULT: return W_EFAULT;
    case EFBIG: return W_EFBIG;
    case EHOSTUNREACH: return W_EHOSTUNREACH;
    case EIDRM: return W_EIDRM;
    case EILSEQ: return W_EILSEQ;
    case EINPROGRESS: return W_EINPROGRESS;
    case EINTR: return W_EINTR;
    case EINVAL: return W_EINVAL;
    case EIO: return W_EIO;
    case EISCONN: return W_EISCONN;
    case EISDIR: return W_EISDIR;
    case ELOOP: return W_ELOOP;
    case EMFILE: return W_EMFILE;
    case EMLINK: return W_EMLINK;
    case EMSGSIZE: return W_EMSGSIZE;
    case EMULTIHOP: return W_EMULTIHOP;
    case ENAMETOOLONG: return W_ENAMETOOLONG;
    case ENETDOWN: return W_ENETDOWN;
    case ENETRESET: return W_ENETRESET;
    case ENETUNREACH: return W_ENETUNREACH;
    case ENFILE: return W_ENFILE;
    case ENOBUFS: return W_ENOBUFS;
    case ENODEV: return W_ENODEV;
    case ENOENT: return W_ENOENT;
    case ENOEXEC: return W_ENOEXEC;
    case ENOLCK: return W_ENOLCK;
    case ENOLINK: return W_ENOLINK;
    case ENOMEM: return W_ENOMEM;
    case ENOMSG: return W_ENOMSG;
    case ENOPROTOOPT: return W_ENOPROTOOPT;
    case ENOSPC: return W_ENOSPC;
    case ENOSYS: return W_ENOSYS;
    case ENOTCONN: return W_ENOTCONN;
    case ENOTDIR: return W_ENOTDIR;
    case ENOTEMPTY: return W_ENOTEMPTY;
    case ENOTRECOVERABLE: return W_ENOTRECOVERABLE;
    case ENOTSOCK: return W_ENOTSOCK;
    case ENOTSUP: return W_ENOTSUP; /* == EOPNOTSUPP on Linux */
    case ENOTTY: return W_ENOTTY;
    case ENXIO: return W_ENXIO;
    case EOVERFLOW: return W_EOVERFLOW;
    case EOWNERDEAD: return W_EOWNERDEAD;
    case EPERM: return W_EPERM;
    case EPIPE: return W_EPIPE;
    case EPROTO: return W_EPROTO;
    case EPROTONOSUPPORT: return W_EPROTONOSUPPORT;
    case EPROTOTYPE: return W_EPROTOTYPE;
    case ERANGE: return W_ERANGE;
    case EROFS: return W_EROFS;
    case ESPIPE: return W_ESPIPE;
    case ESRCH: return W_ESRCH;
    case ESTALE: return W_ESTALE;
    case ETIMEDOUT: return W_ETIMEDOUT;
    case ETXTBSY: return W_ETXTBSY;
    case EXDEV: return W_EXDEV;
    default: return W_EIO; /* anything else is an I/O failure as far as the guest can tell */
    }
}
