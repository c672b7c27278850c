/* The 1C:Enterprise Native API declared in plain C for Linux hosts (GCC, Itanium C++ ABI), with
 * every vtable spelled out as a struct of function pointers: TWO destructor slots
 * (complete-object, deleting), the default C convention, tVariant 64 bytes on LP64 and 52 on
 * i386, long = word size. Source: shared/docs/native-api.md §1-§3. Used by host.c beside this
 * file, on every Linux target (x86_64, i686, ARM64).
 *
 * Windows is not here: a host whose tables we write by hand repeats our own reading of the ABI
 * (it missed MSVC's IInterface offset, native-api.md §2.2). The Windows DLLs are driven by
 * tests/msvc_host, C++ that clang lays out for the MSVC ABI.
 */
#ifndef SOCKETIO1C_CROSS_ABI_H
#define SOCKETIO1C_CROSS_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(_WIN32)
#error "the C host is for Linux; Windows: tests/msvc_host"
#endif
#define API /* ADDIN_API is empty on Linux */

/* 2-byte UTF-16 everywhere; GCC types u"..." literals in C as arrays of unsigned short. */
typedef unsigned short WCHAR_T;

enum {
    VTYPE_EMPTY = 0,
    VTYPE_I4 = 3,
    VTYPE_BOOL = 11,
    VTYPE_PWSTR = 22,
    VTYPE_BLOB = 23
};

typedef struct tVariant {
    union {
        int32_t lVal;
        int64_t llVal;
        double dblVal;
        bool bVal;
        struct tm tmVal; /* the largest member: it decides the size per platform */
        struct {
            char* pstrVal;
            uint32_t strLen; /* bytes */
        };
        struct {
            WCHAR_T* pwstrVal;
            uint32_t wstrLen; /* UTF-16 units without the NUL */
        };
    };
    uint32_t cbElements;
    uint16_t vt;
} tVariant;

/* The layout 1C's own compiler gives tVariant (native-api.md §3), checked at compile time so
 * that a host that builds is a host that agrees with 1C. */
#if defined(__i386__)
_Static_assert(sizeof(tVariant) == 52, "Linux i386 tVariant is 52 bytes");
_Static_assert(offsetof(tVariant, cbElements) == 44, "Linux i386 cbElements at 44");
_Static_assert(offsetof(tVariant, vt) == 48, "Linux i386 vt at 48");
#else
_Static_assert(sizeof(tVariant) == 64, "LP64 Linux tVariant is 64 bytes");
_Static_assert(offsetof(tVariant, cbElements) == 56, "LP64 Linux cbElements at 56");
_Static_assert(offsetof(tVariant, vt) == 60, "LP64 Linux vt at 60");
#endif
_Static_assert(offsetof(tVariant, wstrLen) == sizeof(void*), "wstrLen follows the pointer");

/* The destructor slots that open every vtable of a class with a virtual destructor. */
typedef struct DtorSlots {
    void (*complete)(void* self); /* D1 */
    void (*deleting)(void* self); /* D0 */
} DtorSlots;

/* ---- the component: four vptrs, one per base (native-api.md §2.1) ---- */

typedef struct InitDoneVtbl {
    DtorSlots dtor;
    bool(API* Init)(void* self, void* disp);
    bool(API* setMemManager)(void* self, void* mem);
    long(API* GetInfo)(void* self);
    void(API* Done)(void* self);
} InitDoneVtbl;

typedef struct LangVtbl {
    DtorSlots dtor;
    bool(API* RegisterExtensionAs)(void* self, WCHAR_T** name);
    long(API* GetNProps)(void* self);
    long(API* FindProp)(void* self, const WCHAR_T* name);
    const WCHAR_T*(API* GetPropName)(void* self, long num, long alias);
    bool(API* GetPropVal)(void* self, long num, tVariant* val);
    bool(API* SetPropVal)(void* self, long num, tVariant* val);
    bool(API* IsPropReadable)(void* self, long num);
    bool(API* IsPropWritable)(void* self, long num);
    long(API* GetNMethods)(void* self);
    long(API* FindMethod)(void* self, const WCHAR_T* name);
    const WCHAR_T*(API* GetMethodName)(void* self, long num, long alias);
    long(API* GetNParams)(void* self, long num);
    bool(API* GetParamDefValue)(void* self, long num, long param, tVariant* def);
    bool(API* HasRetVal)(void* self, long num);
    bool(API* CallAsProc)(void* self, long num, tVariant* params, long count);
    bool(API* CallAsFunc)(void* self, long num, tVariant* ret, tVariant* params, long count);
} LangVtbl;

typedef struct LocaleVtbl {
    DtorSlots dtor;
    void(API* SetLocale)(void* self, const WCHAR_T* loc);
} LocaleVtbl;

typedef struct UserLangVtbl {
    DtorSlots dtor;
    void(API* SetUserInterfaceLanguageCode)(void* self, const WCHAR_T* lang);
} UserLangVtbl;

/* IComponentBase: the object starts with its four vptrs; base k is at word k. */
typedef struct Component {
    const InitDoneVtbl* init;
    const LangVtbl* lang;
    const LocaleVtbl* locale;
    const UserLangVtbl* user_lang;
} Component;

/* ---- the platform side (native-api.md §2.2) ---- */

typedef struct MemoryVtbl {
    DtorSlots dtor;
    bool(API* AllocMemory)(void* self, void** p, unsigned long bytes);
    void(API* FreeMemory)(void* self, void** p);
} MemoryVtbl;

typedef struct ConnectionVtbl { /* IAddInDefBaseEx */
    DtorSlots dtor;
    bool(API* AddError)(void* self, unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr,
                        long scode);
    bool(API* Read)(void* self, WCHAR_T* name, tVariant* val, long* err, WCHAR_T** desc);
    bool(API* Write)(void* self, WCHAR_T* name, tVariant* val);
    bool(API* RegisterProfileAs)(void* self, WCHAR_T* name);
    bool(API* SetEventBufferDepth)(void* self, long depth);
    long(API* GetEventBufferDepth)(void* self);
    bool(API* ExternalEvent)(void* self, WCHAR_T* source, WCHAR_T* message, WCHAR_T* data);
    void(API* CleanEventBuffer)(void* self);
    bool(API* SetStatusLine)(void* self, WCHAR_T* text);
    void(API* ResetStatusLine)(void* self);
    void*(API* GetInterface)(void* self, int iface);
} ConnectionVtbl;

enum { eIMsgBox = 0, eIPlatformInfo = 1, eIAttachedInfo = 2 };
enum { eAppThinClient = 0, eAppServer = 3 };

typedef struct AppInfo {
    const WCHAR_T* AppVersion;
    const WCHAR_T* UserAgentInformation;
    int Application;
} AppInfo;

/* Interfaces from GetInterface have no virtual destructor: no destructor slot. */
typedef struct PlatformInfoVtbl {
    const AppInfo*(API* GetPlatformInfo)(void* self);
} PlatformInfoVtbl;

/* ---- exports (native-api.md §1): cdecl everywhere ---- */

typedef long (*GetClassObjectFn)(const WCHAR_T* name, Component** out);
typedef long (*DestroyObjectFn)(Component** obj);
typedef const WCHAR_T* (*GetClassNamesFn)(void);
typedef int (*SetPlatformCapabilitiesFn)(int caps);
typedef int (*GetAttachTypeFn)(void);

#endif
