/*
 * native_load.c - maps the ELF relocatable object that src/compile/ emits, so that running
 * compiled code needs no LLVM (docs/native.md, "Object format, loader and cache").
 *
 * Only what LLVM emits for our code is accepted: ELF64 x86-64 ET_REL, SHF_ALLOC sections,
 * and the relocation types listed in relocate(). Anything else refuses the object, which then
 * runs on the interpreter: a loader that guesses would run wrong code.
 */
#include <elf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vm/native.h"

/* The runtime names an object may import, and nothing else. */
typedef struct rt_sym {
    const char *name;
    void *addr;
} rt_sym;

static void *runtime_symbol(const char *name) {
    const rt_sym syms[] = {
        {"sl_nrt_trap", (void *)sl_nrt_trap},
        {"sl_nrt_poll", (void *)sl_nrt_poll},
        {"sl_nrt_memory_grow", (void *)sl_nrt_memory_grow},
        {"sl_nrt_call", (void *)sl_nrt_call},
        {"sl_nrt_call_ref", (void *)sl_nrt_call_ref},
        {"memcpy", (void *)memcpy},
        {"memmove", (void *)memmove},
        {"memset", (void *)memset},
        {"ceil", (void *)ceil},
        {"floor", (void *)floor},
        {"trunc", (void *)trunc},
        {"nearbyint", (void *)nearbyint},
        {"ceilf", (void *)ceilf},
        {"floorf", (void *)floorf},
        {"truncf", (void *)truncf},
        {"nearbyintf", (void *)nearbyintf},
    };
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
        if (!strcmp(syms[i].name, name)) return syms[i].addr;
    return NULL;
}

#define STUB_SIZE 16u /* jmp *[rip+2]; 2 bytes of padding; the 8-byte address (a GOT slot) */

static sl_status refuse(sl_error *err, const char *why) {
    return sl_fail(err, SL_ERR_MALFORMED, -1, "native object refused: %s", why);
}

static size_t align_up(size_t v, size_t a) {
    return a > 1 ? (v + a - 1) / a * a : v;
}

sl_status sl_native_load(const uint8_t *obj, size_t len, sl_native_code **out, sl_error *err) {
    *out = NULL;
    if (len < sizeof(Elf64_Ehdr)) return refuse(err, "truncated");
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)obj;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL || eh->e_machine != EM_X86_64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr))
        return refuse(err, "not an x86-64 ELF relocatable object");
    if (eh->e_shoff > len || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > len - eh->e_shoff)
        return refuse(err, "section headers out of range");
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(obj + eh->e_shoff);
    uint32_t n = eh->e_shnum;
    for (uint32_t i = 0; i < n; i++)
        if (sh[i].sh_type != SHT_NOBITS &&
            (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset))
            return refuse(err, "section out of range");

    /* Layout: executable sections, then the stubs, then the rest, each at its alignment; the
     * read-only part starts on a page so that text and data get different protections. */
    size_t *addr = calloc(n, sizeof *addr);
    const Elf64_Shdr *symtab = NULL;
    size_t text = 0, total;
    uint32_t nundef = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
        if ((sh[i].sh_flags & SHF_ALLOC) && (sh[i].sh_flags & SHF_EXECINSTR)) {
            text = align_up(text, sh[i].sh_addralign);
            addr[i] = text + 1; /* +1: 0 means "not placed" */
            text += sh[i].sh_size;
        }
    }
    if (!symtab || symtab->sh_link >= n || symtab->sh_entsize != sizeof(Elf64_Sym)) {
        free(addr);
        return refuse(err, "no symbol table");
    }
    const Elf64_Sym *syms = (const Elf64_Sym *)(obj + symtab->sh_offset);
    uint32_t nsyms = (uint32_t)(symtab->sh_size / sizeof(Elf64_Sym));
    const char *strtab = (const char *)obj + sh[symtab->sh_link].sh_offset;
    size_t strsize = sh[symtab->sh_link].sh_size;
    for (uint32_t s = 1; s < nsyms; s++)
        if (syms[s].st_shndx == SHN_UNDEF) nundef++;
    size_t stubs = align_up(text, 16);
    total = align_up(stubs + (size_t)nundef * STUB_SIZE, 4096);
    size_t rodata = total;
    for (uint32_t i = 0; i < n; i++) {
        if ((sh[i].sh_flags & SHF_ALLOC) && !(sh[i].sh_flags & SHF_EXECINSTR)) {
            if (sh[i].sh_flags & SHF_WRITE && sh[i].sh_size) {
                free(addr);
                return refuse(err, "writable data");
            }
            total = align_up(total, sh[i].sh_addralign);
            addr[i] = total + 1;
            total += sh[i].sh_size;
        }
    }
    total = align_up(total ? total : 1, 4096);
    uint8_t *map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) {
        free(addr);
        return sl_fail(err, SL_ERR_NOMEM, -1, "out of memory mapping native code");
    }
    for (uint32_t i = 0; i < n; i++)
        if (addr[i] && sh[i].sh_type != SHT_NOBITS)
            memcpy(map + addr[i] - 1, obj + sh[i].sh_offset, sh[i].sh_size);

    /* Symbol values: defined ones in their section, undefined ones through a stub. */
    uint64_t *symval = calloc(nsyms ? nsyms : 1, sizeof *symval);
    uint64_t *got = calloc(nsyms ? nsyms : 1, sizeof *got); /* address of the symbol's GOT slot */
    const char *why = NULL;
    uint32_t stub = 0;
    for (uint32_t s = 1; s < nsyms && !why; s++) {
        const Elf64_Sym *y = &syms[s];
        if (y->st_name >= strsize)
            why = "bad symbol name";
        else if (y->st_shndx == SHN_UNDEF) {
            void *a = runtime_symbol(strtab + y->st_name);
            if (!a) {
                why = "unknown runtime symbol";
                break;
            }
            uint8_t *st = map + stubs + stub++ * STUB_SIZE;
            static const uint8_t jmp[8] = {0xFF, 0x25, 0x02, 0x00, 0x00, 0x00, 0xCC, 0xCC};
            memcpy(st, jmp, 8);
            memcpy(st + 8, &a, 8);
            symval[s] = (uint64_t)(uintptr_t)st;
            got[s] = (uint64_t)(uintptr_t)(st + 8);
        } else if (y->st_shndx == SHN_ABS) {
            symval[s] = y->st_value;
        } else if (y->st_shndx < n && addr[y->st_shndx]) {
            symval[s] = (uint64_t)(uintptr_t)(map + addr[y->st_shndx] - 1 + y->st_value);
        } else if (ELF64_ST_TYPE(y->st_info) != STT_FILE && y->st_shndx < SHN_LORESERVE &&
                   ELF64_ST_TYPE(y->st_info) != STT_SECTION) {
            /* a symbol of a section we did not map (debug info): never referenced by code */
        }
    }
    for (uint32_t i = 0; i < n && !why; i++) {
        if (sh[i].sh_type == SHT_REL) why = "REL relocations";
        if (sh[i].sh_type != SHT_RELA) continue;
        if (sh[i].sh_info >= n || !addr[sh[i].sh_info])
            continue; /* relocates an unmapped section */
        uint8_t *base = map + addr[sh[i].sh_info] - 1;
        const Elf64_Rela *rel = (const Elf64_Rela *)(obj + sh[i].sh_offset);
        size_t nrel = sh[i].sh_size / sizeof *rel;
        for (size_t k = 0; k < nrel && !why; k++) {
            uint32_t s = ELF64_R_SYM(rel[k].r_info), type = ELF64_R_TYPE(rel[k].r_info);
            size_t width = type == R_X86_64_64 || type == R_X86_64_PC64 ? 8 : 4;
            if (s >= nsyms || rel[k].r_offset > sh[sh[i].sh_info].sh_size ||
                sh[sh[i].sh_info].sh_size - rel[k].r_offset < width) {
                why = "bad relocation";
                break;
            }
            uint8_t *p = base + rel[k].r_offset;
            int64_t P = (int64_t)(uintptr_t)p, A = rel[k].r_addend, S = (int64_t)symval[s];
            int64_t v;
            switch (type) {
            case R_X86_64_NONE: continue;
            case R_X86_64_64: memcpy(p, &(uint64_t){(uint64_t)(S + A)}, 8); continue;
            case R_X86_64_PC32:
            case R_X86_64_PLT32: v = S + A - P; break;
            case R_X86_64_GOTPCREL:
            case R_X86_64_GOTPCRELX:
            case R_X86_64_REX_GOTPCRELX:
                if (!got[s]) {
                    why = "GOT reference to a local symbol";
                    continue;
                }
                v = (int64_t)got[s] + A - P;
                break;
            case R_X86_64_PC64: memcpy(p, &(uint64_t){(uint64_t)(S + A - P)}, 8); continue;
            default: why = "unsupported relocation type"; continue;
            }
            if (v != (int32_t)v) {
                why = "relocation out of range";
                break;
            }
            memcpy(p, &(int32_t){(int32_t)v}, 4);
        }
    }
    sl_native_code *code = why ? NULL : calloc(1, sizeof *code);
    if (code) {
        code->map = map;
        code->size = total;
        /* the symbols sl_f<i> (native entries) and sl_a<i> (adapters), by function index */
        uint32_t maxidx = 0;
        for (uint32_t s = 1; s < nsyms; s++) {
            const char *nm = strtab + syms[s].st_name;
            unsigned idx;
            char kind;
            if (syms[s].st_shndx != SHN_UNDEF && sscanf(nm, "sl_%c%u", &kind, &idx) == 2 &&
                idx + 1 > maxidx)
                maxidx = idx + 1;
        }
        code->nfuncs = maxidx;
        code->adapters = calloc(maxidx ? maxidx : 1, sizeof *code->adapters);
        for (uint32_t s = 1; s < nsyms; s++) {
            const char *nm = strtab + syms[s].st_name;
            unsigned idx;
            if (syms[s].st_shndx != SHN_UNDEF && sscanf(nm, "sl_a%u", &idx) == 1 && idx < maxidx)
                code->adapters[idx] = (sl_native_adapter)(uintptr_t)symval[s];
        }
        /* W^X: text and stubs become executable, the rest read-only */
        if (mprotect(map, rodata, PROT_READ | PROT_EXEC) ||
            (total > rodata && mprotect(map + rodata, total - rodata, PROT_READ)))
            why = "mprotect failed";
    }
    free(addr);
    free(symval);
    free(got);
    if (why) {
        if (code) free(code->adapters);
        free(code);
        munmap(map, total);
        return refuse(err, why);
    }
    *out = code;
    return SL_OK;
}

void sl_native_code_free(sl_native_code *code) {
    if (!code) return;
    munmap(code->map, code->size);
    free(code->adapters);
    free(code);
}
