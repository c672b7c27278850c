// The 1C:Enterprise Native API as a host sees it, declared from shared/docs/native-api.md
// (sections 1-3) as pure virtual C++ classes, never from 1C's headers: the compiler, not we,
// lays out the classes, their vtables and base offsets and picks the calling conventions, so a
// host built from this file stands in for the platform's own C++ on its ABI:
//   - Linux (Itanium ABI, g++): tests/cpp_host, also the mock add-in there;
//   - Windows (MSVC ABI, clang++ --target=*-pc-windows-msvc, freestanding): tests/msvc_host.
//
// Every layout fact the add-in relies on is asserted here at compile time (sizes, offsets, enum
// widths) or, where C++ cannot say it in a constant expression (base-class offsets), checked by
// the hosts at run time.
#pragma once

#if defined(_MSC_VER) && defined(_WIN32)
// No MSVC CRT or Windows SDK here (tests/msvc_host/freestanding.h): the few types by hand.
typedef unsigned char uint8_t;
typedef signed char int8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
typedef decltype(sizeof(0)) size_t;
typedef decltype((char*)0 - (char*)0) ptrdiff_t;

// `ADDIN_API` is `__stdcall` when `_WINDOWS` is defined (kit types.h): every interface method
// except the destructors. On x64 the keyword is accepted and means the one x64 convention.
#define ADDIN_API __stdcall

// WCHAR_T is wchar_t on Windows: 16 bits.
typedef wchar_t WCHAR_T;

// MSVC's struct tm: nine ints, 36 bytes (glibc's has two more fields).
struct tm {
    int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
};
static_assert(sizeof(struct tm) == 36, "MSVC struct tm is 36 bytes");
static_assert(sizeof(long) == 4, "long is 32 bits on Windows (LLP64): c_long = i32");
static_assert(sizeof(unsigned long) == 4, "AllocMemory's unsigned long is 32 bits on Windows");
#define EXPORT_CC __cdecl
#elif defined(__linux__)
#include <cstddef>
#include <cstdint>
#include <ctime>
#define ADDIN_API
// 2-byte UTF-16 everywhere, also where wchar_t is 4 bytes (Linux).
typedef char16_t WCHAR_T;
#define EXPORT_CC
#else
#error "addin.h knows Linux (g++, Itanium ABI) and Windows under the MSVC ABI"
#endif

static_assert(sizeof(WCHAR_T) == 2, "WCHAR_T is 16-bit UTF-16");
static_assert(sizeof(bool) == 1, "C++ bool is one byte (the add-in reads a Rust bool)");
static_assert(sizeof(unsigned short) == 2, "AddError's wcode is 16 bits");

// ---- tVariant (§3) --------------------------------------------------------------------------

typedef unsigned short TYPEVAR;
enum ENUMVAR {
    VTYPE_EMPTY = 0,
    VTYPE_NULL,
    VTYPE_I2,
    VTYPE_I4,
    VTYPE_R4,
    VTYPE_R8,
    VTYPE_DATE,
    VTYPE_TM,
    VTYPE_PSTR,
    VTYPE_INTERFACE,
    VTYPE_ERROR,
    VTYPE_BOOL,
    VTYPE_VARIANT,
    VTYPE_I1,
    VTYPE_UI1,
    VTYPE_UI2,
    VTYPE_UI4,
    VTYPE_I8,
    VTYPE_UI8,
    VTYPE_INT,
    VTYPE_UINT,
    VTYPE_HRESULT,
    VTYPE_PWSTR,
    VTYPE_BLOB,
    VTYPE_CLSID,
};

struct IID_ {
    uint32_t Data1;
    uint16_t Data2, Data3;
    uint8_t Data4[8];
};
typedef double DATE;

struct tVariant {
    union {
        int8_t i8Val;
        int16_t shortVal;
        int32_t lVal;
        int intVal;
        unsigned int uintVal;
        int64_t llVal;
        uint8_t ui8Val;
        uint16_t ushortVal;
        uint32_t ulVal;
        uint64_t ullVal;
        int32_t errCode;
        long hRes;
        float fltVal;
        double dblVal;
        bool bVal;
        char chVal;
        wchar_t wchVal;
        DATE date;
        IID_ IDVal;
        tVariant* pvarVal;
        struct tm tmVal;
        struct {
            void* pInterfaceVal;
            IID_ InterfaceID;
        };
        struct {
            char* pstrVal;
            uint32_t strLen;
        };
        struct {
            WCHAR_T* pwstrVal;
            uint32_t wstrLen;
        };
    };
    uint32_t cbElements;
    TYPEVAR vt;
};
// The union's largest member is struct tm, so its size decides tVariant's (native-api.md §3).
#if defined(_MSC_VER)
static_assert(sizeof(tVariant) == 48, "tVariant is 48 bytes under MSVC (x64 and x86)");
static_assert(__builtin_offsetof(tVariant, cbElements) == 40, "cbElements at 40");
static_assert(__builtin_offsetof(tVariant, vt) == 44, "vt at 44");
#elif defined(__i386__)
// SysV i386: int64 and double 4-aligned inside structs.
static_assert(sizeof(struct tm) == 44, "struct tm is 44 bytes on Linux i386");
static_assert(sizeof(tVariant) == 52, "tVariant is 52 bytes on Linux i386");
static_assert(__builtin_offsetof(tVariant, cbElements) == 44, "cbElements at 44");
static_assert(__builtin_offsetof(tVariant, vt) == 48, "vt at 48");
#else
// LP64 Linux: x86_64 and aarch64.
static_assert(sizeof(struct tm) == 56, "struct tm is 56 bytes on LP64 Linux");
static_assert(sizeof(tVariant) == 64, "tVariant is 64 bytes on LP64 Linux");
static_assert(__builtin_offsetof(tVariant, cbElements) == 56, "cbElements at 56");
static_assert(__builtin_offsetof(tVariant, vt) == 60, "vt at 60");
#endif
static_assert(__builtin_offsetof(tVariant, wstrLen) == sizeof(void*), "wstrLen right after the pointer");

// ---- component side (§2.1): what GetClassObject returns ----------------------------------------

class IInitDoneBase {
public:
    virtual ~IInitDoneBase() {}
    virtual bool ADDIN_API Init(void* disp) = 0;
    virtual bool ADDIN_API setMemManager(void* mem) = 0;
    virtual long ADDIN_API GetInfo() = 0;
    virtual void ADDIN_API Done() = 0;
};

class ILanguageExtenderBase {
public:
    virtual ~ILanguageExtenderBase() {}
    virtual bool ADDIN_API RegisterExtensionAs(WCHAR_T** wsExtensionName) = 0;
    virtual long ADDIN_API GetNProps() = 0;
    virtual long ADDIN_API FindProp(const WCHAR_T* wsPropName) = 0;
    virtual const WCHAR_T* ADDIN_API GetPropName(long lPropNum, long lPropAlias) = 0;
    virtual bool ADDIN_API GetPropVal(const long lPropNum, tVariant* pvarPropVal) = 0;
    virtual bool ADDIN_API SetPropVal(const long lPropNum, tVariant* varPropVal) = 0;
    virtual bool ADDIN_API IsPropReadable(const long lPropNum) = 0;
    virtual bool ADDIN_API IsPropWritable(const long lPropNum) = 0;
    virtual long ADDIN_API GetNMethods() = 0;
    virtual long ADDIN_API FindMethod(const WCHAR_T* wsMethodName) = 0;
    virtual const WCHAR_T* ADDIN_API GetMethodName(const long lMethodNum, const long lMethodAlias) = 0;
    virtual long ADDIN_API GetNParams(const long lMethodNum) = 0;
    virtual bool ADDIN_API GetParamDefValue(const long lMethodNum, const long lParamNum, tVariant* pvarParamDefValue) = 0;
    virtual bool ADDIN_API HasRetVal(const long lMethodNum) = 0;
    virtual bool ADDIN_API CallAsProc(const long lMethodNum, tVariant* paParams, const long lSizeArray) = 0;
    virtual bool ADDIN_API CallAsFunc(const long lMethodNum, tVariant* pvarRetValue, tVariant* paParams,
                                      const long lSizeArray) = 0;
};

class LocaleBase {
public:
    virtual ~LocaleBase() {}
    virtual void ADDIN_API SetLocale(const WCHAR_T* loc) = 0;
};

class UserLanguageBase {
public:
    virtual ~UserLanguageBase() {}
    virtual void ADDIN_API SetUserInterfaceLanguageCode(const WCHAR_T* lang) = 0;
};

class IComponentBase : public IInitDoneBase,
                       public ILanguageExtenderBase,
                       public LocaleBase,
                       public UserLanguageBase {
public:
    virtual ~IComponentBase() {}
};
// Four vfptrs and nothing else; where each base sits is checked at run time (host.cpp).
static_assert(sizeof(IComponentBase) == 4 * sizeof(void*), "IComponentBase is four vfptrs");

// ---- platform side (§2.2): what Init and setMemManager receive ---------------------------------

class IMemoryManager {
public:
    virtual ~IMemoryManager() {}
    virtual bool ADDIN_API AllocMemory(void** pMemory, unsigned long ulCountByte) = 0;
    virtual void ADDIN_API FreeMemory(void** pMemory) = 0;
};

// The empty, non-polymorphic base of the interfaces GetInterface hands out. Itanium puts it at
// offset 0, with the vptr; MSVC places it after the vfptr of a polymorphic class that derives
// from it, so there the up-cast to IInterface* adds a pointer's size (native-api.md §2.2).
struct IInterface {};

enum Interfaces {
    eIMsgBox = 0,
    eIPlatformInfo,
    eIAttachedInfo, // 2 on desktop platforms (3 on Android)
};
static_assert(sizeof(Interfaces) == 4, "enums are int-sized");

class IMsgBox : public IInterface {
public:
    virtual bool ADDIN_API Confirm(const WCHAR_T* queryText, tVariant* retVal) = 0;
    virtual bool ADDIN_API Alert(const WCHAR_T* text) = 0;
};

class IPlatformInfo : public IInterface {
public:
    enum AppType {
        eAppUnknown = -1,
        eAppThinClient = 0,
        eAppThickClient,
        eAppWebClient,
        eAppServer,
        eAppExtConn,
        eAppMobileClient,
        eAppMobileServer,
    };
    struct AppInfo {
        const WCHAR_T* AppVersion;
        const WCHAR_T* UserAgentInformation;
        AppType Application;
    };
    virtual const AppInfo* ADDIN_API GetPlatformInfo() = 0;
};
static_assert(sizeof(IPlatformInfo::AppType) == 4, "AppType is int-sized");
static_assert(sizeof(IPlatformInfo::AppInfo) == 3 * sizeof(void*), "AppInfo: two pointers and an int, padded");
static_assert(__builtin_offsetof(IPlatformInfo::AppInfo, Application) == 2 * sizeof(void*), "Application after the pointers");

class IAttachedInfo : public IInterface {
public:
    enum AttachedType { eAttachedIsolated = 0, eAttachedNotIsolated };
    // The kit writes `const AttachedType`; a const on a returned enum changes nothing.
    virtual AttachedType ADDIN_API GetAttachedInfo() = 0;
};

// Message codes of AddError (wcode).
enum {
    ADDIN_E_NONE = 1000,
    ADDIN_E_ORDINARY = 1001,
    ADDIN_E_ATTENTION = 1002,
    ADDIN_E_IMPORTANT = 1003,
    ADDIN_E_VERY_IMPORTANT = 1004,
    ADDIN_E_INFO = 1005,
    ADDIN_E_FAIL = 1006,
    ADDIN_E_MSGBOX_ATTENTION = 1007,
    ADDIN_E_MSGBOX_INFO = 1008,
    ADDIN_E_MSGBOX_FAIL = 1009
};

class IAddInDefBase {
public:
    virtual ~IAddInDefBase() {}
    virtual bool ADDIN_API AddError(unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) = 0;
    virtual bool ADDIN_API Read(WCHAR_T* wszPropName, tVariant* pVal, long* pErrCode, WCHAR_T** errDescriptor) = 0;
    virtual bool ADDIN_API Write(WCHAR_T* wszPropName, tVariant* pVar) = 0;
    virtual bool ADDIN_API RegisterProfileAs(WCHAR_T* wszProfileName) = 0;
    virtual bool ADDIN_API SetEventBufferDepth(long lDepth) = 0;
    virtual long ADDIN_API GetEventBufferDepth() = 0;
    virtual bool ADDIN_API ExternalEvent(WCHAR_T* wszSource, WCHAR_T* wszMessage, WCHAR_T* wszData) = 0;
    virtual void ADDIN_API CleanEventBuffer() = 0;
    virtual bool ADDIN_API SetStatusLine(WCHAR_T* wszStatusLine) = 0;
    virtual void ADDIN_API ResetStatusLine() = 0;
};

class IAddInDefBaseEx : public IAddInDefBase {
public:
    virtual IInterface* ADDIN_API GetInterface(Interfaces iface) = 0;
};

// The platform's objects as the add-in reads them: a vfptr, then (for the GetInterface ones) the
// empty IInterface base at the end, where the up-cast points.
static_assert(sizeof(IAddInDefBaseEx) == sizeof(void*), "IAddInDefBaseEx is one vfptr");
static_assert(sizeof(IMemoryManager) == sizeof(void*), "IMemoryManager is one vfptr");
static_assert(sizeof(IPlatformInfo) == sizeof(void*) && sizeof(IMsgBox) == sizeof(void*) &&
                  sizeof(IAttachedInfo) == sizeof(void*),
              "a GetInterface object is one vfptr; its empty IInterface base sits at its end");

// ---- the exports (§1): cdecl on x86 Windows ------------------------------------------------------------

enum AppCapabilities {
    eAppCapabilitiesInvalid = -1,
    eAppCapabilities1 = 1,
    eAppCapabilities2 = 2,
    eAppCapabilities3 = 3,
};
enum AttachType {
    eCanAttachNotIsolated = 1,
    eCanAttachIsolated,
    eCanAttachAny,
};
static_assert(sizeof(AppCapabilities) == 4 && sizeof(AttachType) == 4, "enums are int-sized");

typedef long(EXPORT_CC* GetClassObjectFn)(const WCHAR_T* wsName, IComponentBase** pIntf);
typedef long(EXPORT_CC* DestroyObjectFn)(IComponentBase** pIntf);
typedef const WCHAR_T*(EXPORT_CC* GetClassNamesFn)();
typedef AppCapabilities(EXPORT_CC* SetPlatformCapabilitiesFn)(const AppCapabilities capabilities);
typedef AttachType(EXPORT_CC* GetAttachTypeFn)();
