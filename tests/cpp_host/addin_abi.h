// The 1C:Enterprise Native API as a Linux host sees it, declared from
// shared/docs/native-api.md (sections 1-3) as pure virtual C++ classes, so that g++ lays out
// the vtables and the object offsets the way 1C's own C++ build does. Not 1C's headers: only
// what a host needs, with the same slot order and types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>

// 2-byte UTF-16 everywhere, also where wchar_t is 4 bytes (Linux).
typedef char16_t WCHAR_T;
typedef uint16_t TYPEVAR;

// ---- tVariant (section 3) ------------------------------------------------------------------

enum ENUMVAR {
    VTYPE_EMPTY = 0,
    VTYPE_NULL = 1,
    VTYPE_I2 = 2,
    VTYPE_I4 = 3,
    VTYPE_R4 = 4,
    VTYPE_R8 = 5,
    VTYPE_DATE = 6,
    VTYPE_TM = 7,
    VTYPE_PSTR = 8,
    VTYPE_INTERFACE = 9,
    VTYPE_ERROR = 10,
    VTYPE_BOOL = 11,
    VTYPE_VARIANT = 12,
    VTYPE_I1 = 13,
    VTYPE_UI1 = 14,
    VTYPE_UI2 = 15,
    VTYPE_UI4 = 16,
    VTYPE_I8 = 17,
    VTYPE_UI8 = 18,
    VTYPE_INT = 19,
    VTYPE_UINT = 20,
    VTYPE_HRESULT = 21,
    VTYPE_PWSTR = 22,
    VTYPE_BLOB = 23,
    VTYPE_CLSID = 24,
    VTYPE_STR_BLOB = 0x0fff,
    VTYPE_VECTOR = 0x1000,
    VTYPE_ARRAY = 0x2000,
    VTYPE_BYREF = 0x4000,
    VTYPE_RESERVED = 0x8000,
    VTYPE_ILLEGAL = 0xffff,
    VTYPE_ILLEGALMASKED = 0x0fff,
    VTYPE_TYPEMASK = 0x0fff
};

struct HostIID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
};

// The union's largest member is struct tm (56 bytes on Linux x86_64), so the whole is
// 64 bytes with cbElements at 56 and vt at 60 (host.cpp asserts this).
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
        double date;
        HostIID IDVal;
        tVariant* pvarVal;
        struct tm tmVal;
        struct {
            void* pInterfaceVal;
            HostIID InterfaceID;
        };
        struct {
            char* pstrVal;
            uint32_t strLen;  // bytes
        };
        struct {
            WCHAR_T* pwstrVal;
            uint32_t wstrLen;  // UTF-16 units, without the terminating NUL
        };
    };
    uint32_t cbElements;
    TYPEVAR vt;
};

// ---- the component (section 2.1): four polymorphic bases, one vptr each --------------------

class IInitDoneBase {
public:
    virtual ~IInitDoneBase() {}
    virtual bool Init(void* disp) = 0;
    virtual bool setMemManager(void* mem) = 0;
    virtual long GetInfo() = 0;
    virtual void Done() = 0;
};

class ILanguageExtenderBase {
public:
    virtual ~ILanguageExtenderBase() {}
    virtual bool RegisterExtensionAs(WCHAR_T** wsExtensionName) = 0;
    virtual long GetNProps() = 0;
    virtual long FindProp(const WCHAR_T* wsPropName) = 0;
    virtual const WCHAR_T* GetPropName(long lPropNum, long lPropAlias) = 0;
    virtual bool GetPropVal(const long lPropNum, tVariant* pvarPropVal) = 0;
    virtual bool SetPropVal(const long lPropNum, tVariant* varPropVal) = 0;
    virtual bool IsPropReadable(const long lPropNum) = 0;
    virtual bool IsPropWritable(const long lPropNum) = 0;
    virtual long GetNMethods() = 0;
    virtual long FindMethod(const WCHAR_T* wsMethodName) = 0;
    virtual const WCHAR_T* GetMethodName(const long lMethodNum, const long lMethodAlias) = 0;
    virtual long GetNParams(const long lMethodNum) = 0;
    virtual bool GetParamDefValue(const long lMethodNum, const long lParamNum, tVariant* pvarParamDefValue) = 0;
    virtual bool HasRetVal(const long lMethodNum) = 0;
    virtual bool CallAsProc(const long lMethodNum, tVariant* paParams, const long lSizeArray) = 0;
    virtual bool CallAsFunc(const long lMethodNum, tVariant* pvarRetValue, tVariant* paParams,
                            const long lSizeArray) = 0;
};

class LocaleBase {
public:
    virtual ~LocaleBase() {}
    virtual void SetLocale(const WCHAR_T* loc) = 0;
};

class UserLanguageBase {
public:
    virtual ~UserLanguageBase() {}
    virtual void SetUserInterfaceLanguageCode(const WCHAR_T* lang) = 0;
};

class IComponentBase : public IInitDoneBase,
                       public ILanguageExtenderBase,
                       public LocaleBase,
                       public UserLanguageBase {
public:
    virtual ~IComponentBase() {}
};

// ---- the platform (section 2.2) ------------------------------------------------------------

class IMemoryManager {
public:
    virtual ~IMemoryManager() {}
    virtual bool AllocMemory(void** pMemory, unsigned long ulCountByte) = 0;
    virtual void FreeMemory(void** pMemory) = 0;
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
    virtual bool AddError(unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) = 0;
    virtual bool Read(WCHAR_T* wszPropName, tVariant* pVal, long* pErrCode, WCHAR_T** errDescriptor) = 0;
    virtual bool Write(WCHAR_T* wszPropName, tVariant* pVar) = 0;
    virtual bool RegisterProfileAs(WCHAR_T* wszProfileName) = 0;
    virtual bool SetEventBufferDepth(long lDepth) = 0;
    virtual long GetEventBufferDepth() = 0;
    virtual bool ExternalEvent(WCHAR_T* wszSource, WCHAR_T* wszMessage, WCHAR_T* wszData) = 0;
    virtual void CleanEventBuffer() = 0;
    virtual bool SetStatusLine(WCHAR_T* wszStatusLine) = 0;
    virtual void ResetStatusLine() = 0;
};

// Interfaces from GetInterface derive from this empty, non-polymorphic struct and have no
// virtual destructor: no destructor slot, vptr at offset 0.
struct IInterface {};

enum Interfaces { eIMsgBox = 0, eIPlatformInfo = 1, eIAttachedInfo = 2 };

class IAddInDefBaseEx : public IAddInDefBase {
public:
    virtual IInterface* GetInterface(Interfaces iface) = 0;
};

class IMsgBox : public IInterface {
public:
    virtual bool Confirm(const WCHAR_T* queryText, tVariant* retVal) = 0;
    virtual bool Alert(const WCHAR_T* text) = 0;
};

enum AppType {
    eAppUnknown = -1,
    eAppThinClient = 0,
    eAppThickClient = 1,
    eAppWebClient = 2,
    eAppServer = 3,
    eAppExtConn = 4,
    eAppMobileClient = 5,
    eAppMobileServer = 6
};

struct AppInfo {
    const WCHAR_T* AppVersion;
    const WCHAR_T* UserAgentInformation;
    AppType Application;
};

class IPlatformInfo : public IInterface {
public:
    virtual const AppInfo* GetPlatformInfo() = 0;
};

enum AttachedType { eAttachedIsolated = 0, eAttachedNotIsolated = 1 };

class IAttachedInfo : public IInterface {
public:
    virtual AttachedType GetAttachedInfo() = 0;
};

// ---- exports (section 1) -------------------------------------------------------------------

enum AppCapabilities {
    eAppCapabilitiesInvalid = -1,
    eAppCapabilities1 = 1,
    eAppCapabilities2 = 2,
    eAppCapabilities3 = 3,
    eAppCapabilitiesLast = eAppCapabilities3
};

enum AttachType { eCanAttachNotIsolated = 1, eCanAttachIsolated = 2, eCanAttachAny = 3 };

typedef long (*GetClassObjectFn)(const WCHAR_T* clsName, IComponentBase** pIntf);
typedef long (*DestroyObjectFn)(IComponentBase** pIntf);
typedef const WCHAR_T* (*GetClassNamesFn)();
typedef AppCapabilities (*SetPlatformCapabilitiesFn)(const AppCapabilities capabilities);
typedef AttachType (*GetAttachTypeFn)();
