// A mock add-in for testing the test hosts themselves (tests/abi_rig.rs): the `Client` names
// of api.md with trivial behaviour, plus methods that break the Native API contract on request,
// so that each check of the hosts can be shown to fire. Not a model of the real component.
//
//   g++ -std=c++17 -O1 -g -Wall -Wextra -Werror -fPIC -shared -o libmock_addin.so
//       tests/cpp_host/mock_addin.cpp -lpthread
//
// Extra methods (after the ten of api.md):
//   Emit(N)            N ExternalEvents from the calling thread, data "1".."N"
//   EmitFromThread(N)  the same from a worker thread (joined by the next call or Done)
//   Echo(X)            returns X (strings and blobs copied with AllocMemory)
//   Swap(A, B)         exchanges its two in/out parameters
//   Warn()             AddError with scode 0, returns true (a message, not an exception)
//   Fail()             AddError with scode 1, returns false
//   Depth(N)           SetEventBufferDepth(N)
//   Misbehave(Kind)    arms a contract breach: "wstrlen-counts-nul", "malloc-string",
//                      "double-free", "foreign-free", "overrun", "leak", "late-event",
//                      "alloc-off-thread", "short-block", "alias-return"

#include "../native_api/addin.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

const char16_t* const kProps[][2] = {
    {u"SessionID", u"ИДСессии"},
    {u"Connected", u"Подключено"},
    {u"Timeout", u"Таймаут"},
    {u"Version", u"Версия"},
    {u"EventSource", u"ИсточникСобытия"},
    {u"Reconnection", u"Переподключение"},
    {u"ReconnectionAttempts", u"ПопыткиПереподключения"},
    {u"ReconnectionDelay", u"ЗадержкаПереподключения"},
    {u"ReconnectionDelayMax", u"МаксимальнаяЗадержкаПереподключения"},
    {u"Transports", u"Транспорты"},
    {u"ProtocolVersion", u"ВерсияПротокола"},
    {u"Path", u"Путь"},
    {u"Query", u"ПараметрыЗапроса"},
    {u"Headers", u"Заголовки"},
    {u"Auth", u"Авторизация"},
    {u"VerifyCertificate", u"ПроверятьСертификат"},
    {u"CACertificate", u"СертификатУЦ"},
    {u"Proxy", u"Прокси"},
    {u"DeliveryMode", u"РежимДоставки"},
    {u"EventBufferDepth", u"ГлубинаБуфераСобытий"},
    {u"QueueLength", u"ДлинаОчереди"},
    {u"LastError", u"ОписаниеОшибки"},
};
const int kNProps = 22;
const bool kWritable[kNProps] = {false, false, true, false, true, true, true, true, true, true, true,
                                 true,  true,  true, true,  true, true, true, true, true, false, false};

struct MethodInfo {
    const char16_t* en;
    const char16_t* ru;
    int params;
    int optional;
    bool returns;
};
const MethodInfo kMethods[] = {
    {u"Connect", u"Подключиться", 1, 0, false},
    {u"Disconnect", u"Отключиться", 0, 0, false},
    {u"Send", u"Отправить", 2, 0, false},
    {u"SendJSON", u"ОтправитьJSON", 2, 0, false},
    {u"SendWithAck", u"ОтправитьСПодтверждением", 3, 1, true},
    {u"Ack", u"Подтвердить", 2, 0, false},
    {u"On", u"Подписаться", 1, 0, false},
    {u"Off", u"Отписаться", 1, 0, false},
    {u"OffAll", u"ОтписатьсяВсе", 0, 0, false},
    {u"GetEvent", u"ПолучитьСобытие", 3, 1, true},
    {u"Emit", u"Emit", 1, 0, false},
    {u"EmitFromThread", u"EmitFromThread", 1, 0, false},
    {u"Echo", u"Echo", 1, 0, true},
    {u"Swap", u"Swap", 2, 0, false},
    {u"Warn", u"Warn", 0, 0, false},
    {u"Fail", u"Fail", 0, 0, false},
    {u"Misbehave", u"Misbehave", 1, 0, false},
    {u"Depth", u"Depth", 1, 0, false},
};
const int kNMethods = sizeof kMethods / sizeof kMethods[0];
enum { mConnect = 0, mDisconnect = 1, mGetEvent = 9, mEmit, mEmitFromThread, mEcho, mSwap, mWarn, mFail, mMisbehave, mDepth };

char16_t lower(char16_t c) {
    if (c >= u'A' && c <= u'Z') return c + 32;
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;
    if (c == 0x401) return 0x451;
    return c;
}

bool same_name(const WCHAR_T* a, const char16_t* b) {
    for (; *a && *b; ++a, ++b)
        if (lower(*a) != lower(*b)) return false;
    return *a == *b;
}

size_t length(const char16_t* s) {
    size_t n = 0;
    while (s[n]) ++n;
    return n;
}

std::u16string number(long n) {
    std::string s = std::to_string(n);
    return std::u16string(s.begin(), s.end());
}

class Mock : public IComponentBase {
public:
    Mock() {
        values_[2] = u"5";
        values_[3] = u"0.0.0-mock";
        values_[4] = u"SocketIO";
    }
    ~Mock() override { join(); }

    // IInitDoneBase
    bool Init(void* connection) override {
        conn_ = static_cast<IAddInDefBaseEx*>(static_cast<IAddInDefBase*>(connection));
        return true;
    }
    bool setMemManager(void* mem) override {
        mem_ = static_cast<IMemoryManager*>(mem);
        return true;
    }
    long GetInfo() override { return 2000; }
    void Done() override {
        join();
        if (armed_ == u"late-event") {
            IAddInDefBaseEx* conn = conn_;
            worker_ = std::thread([conn] {
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
                conn->ExternalEvent(const_cast<WCHAR_T*>(u"mock"), const_cast<WCHAR_T*>(u"late"),
                                    const_cast<WCHAR_T*>(u""));
            });
        }
    }

    // ILanguageExtenderBase
    bool RegisterExtensionAs(WCHAR_T** name) override { return (*name = dup(u"Client")) != nullptr; }
    long GetNProps() override { return kNProps; }
    long FindProp(const WCHAR_T* name) override {
        for (int i = 0; i < kNProps; ++i)
            if (same_name(name, kProps[i][0]) || same_name(name, kProps[i][1])) return i;
        return -1;
    }
    const WCHAR_T* GetPropName(long n, long alias) override {
        return n >= 0 && n < kNProps && (alias == 0 || alias == 1) ? dup(kProps[n][alias]) : nullptr;
    }
    bool GetPropVal(const long n, tVariant* v) override {
        if (n < 0 || n >= kNProps) return false;
        put_string(v, values_[n]);
        return v->pwstrVal != nullptr;
    }
    bool SetPropVal(const long n, tVariant* v) override {
        if (!IsPropWritable(n)) return false;
        if (v->vt == VTYPE_PWSTR) {
            values_[n].assign(v->pwstrVal, v->wstrLen);
        } else if (v->vt == VTYPE_I4) {
            values_[n] = number(v->lVal);
        } else if (v->vt == VTYPE_R8) {
            values_[n] = number(long(v->dblVal));
        } else {
            conn_->AddError(ADDIN_E_FAIL, u"mock", u"wrong type", 1);
            return false;
        }
        return true;
    }
    bool IsPropReadable(const long n) override { return n >= 0 && n < kNProps; }
    bool IsPropWritable(const long n) override { return n >= 0 && n < kNProps && kWritable[n]; }
    long GetNMethods() override { return kNMethods; }
    long FindMethod(const WCHAR_T* name) override {
        for (int i = 0; i < kNMethods; ++i)
            if (same_name(name, kMethods[i].en) || same_name(name, kMethods[i].ru)) return i;
        return -1;
    }
    const WCHAR_T* GetMethodName(const long n, const long alias) override {
        if (n < 0 || n >= kNMethods || (alias != 0 && alias != 1)) return nullptr;
        return dup(alias == 0 ? kMethods[n].en : kMethods[n].ru);
    }
    long GetNParams(const long n) override { return n >= 0 && n < kNMethods ? kMethods[n].params : 0; }
    bool GetParamDefValue(const long m, const long p, tVariant* v) override {
        if (m < 0 || m >= kNMethods || p < kMethods[m].params - kMethods[m].optional || p >= kMethods[m].params)
            return false;
        v->vt = VTYPE_EMPTY;
        return true;
    }
    bool HasRetVal(const long m) override { return m >= 0 && m < kNMethods && kMethods[m].returns; }
    bool CallAsProc(const long m, tVariant* p, const long n) override {
        join();
        switch (m) {
            case mConnect:
                if (n != 1 || p[0].vt != VTYPE_PWSTR) return fail(u"Connect: the URI must be a String");
                emit_later(u"{\"Event\": \"Connection\",\"State\": \"Open\"}", u"{\"Connection\": \"Open\"}");
                return true;
            case mDisconnect:
                emit_later(u"{\"Event\": \"Connection\",\"State\": \"Close\",\"Reason\": \"Normal\"}",
                           u"{\"Connection\": \"Close\"}");
                return true;
            case mEmit:
                for (int i = 1; i <= p[0].lVal; ++i) emit(number(i));
                return true;
            case mEmitFromThread: {
                int count = p[0].lVal;
                worker_ = std::thread([this, count] {
                    for (int i = 1; i <= count; ++i) emit(number(i));
                });
                return true;
            }
            case mSwap: {
                tVariant t = p[0];
                p[0] = p[1];
                p[1] = t;
                return true;
            }
            case mWarn:
                conn_->AddError(ADDIN_E_INFO, u"mock", u"just a message", 0);
                return true;
            case mFail:
                return fail(u"Fail was called");
            case mDepth:
                return conn_->SetEventBufferDepth(p[0].lVal);
            case mMisbehave:
                if (p[0].vt != VTYPE_PWSTR) return fail(u"Misbehave: a String");
                armed_.assign(p[0].pwstrVal, p[0].wstrLen);
                return misbehave_now();
            default:
                return m >= 0 && m < kNMethods && !kMethods[m].returns;
        }
    }
    bool CallAsFunc(const long m, tVariant* ret, tVariant* p, const long) override {
        join();
        if (m == mEcho) {
            *ret = p[0];
            if (armed_ == u"alias-return") return true;  // the same buffer as the parameter
            if (p[0].vt == VTYPE_PWSTR) put_string(ret, std::u16string(p[0].pwstrVal, p[0].wstrLen));
            if (p[0].vt == VTYPE_BLOB) {
                void* block = nullptr;
                mem_->AllocMemory(&block, p[0].strLen);
                std::memcpy(block, p[0].pstrVal, p[0].strLen);
                ret->pstrVal = static_cast<char*>(block);
            }
            return true;
        }
        if (m == mGetEvent) {  // nothing is ever queued
            ret->vt = VTYPE_BOOL;
            ret->bVal = false;
            return true;
        }
        ret->vt = VTYPE_I4;
        ret->lVal = 1;
        return m >= 0 && m < kNMethods;
    }

    // LocaleBase, UserLanguageBase
    void SetLocale(const WCHAR_T*) override {}
    void SetUserInterfaceLanguageCode(const WCHAR_T*) override {}

private:
    WCHAR_T* dup(const char16_t* s) { return dup(s, length(s)); }

    // A copy of the n units at s plus a NUL, allocated with AllocMemory (or malloc when armed).
    WCHAR_T* dup(const char16_t* s, size_t n) {
        size_t bytes = (n + 1) * 2;
        void* p = nullptr;
        if (armed_ == u"malloc-string") {
            p = std::malloc(bytes);
        } else if (mem_ == nullptr || !mem_->AllocMemory(&p, bytes)) {
            return nullptr;
        }
        std::memcpy(p, s, n * 2);
        static_cast<WCHAR_T*>(p)[n] = 0;
        return static_cast<WCHAR_T*>(p);
    }

    void put_string(tVariant* v, const std::u16string& s) {
        v->vt = VTYPE_PWSTR;
        v->wstrLen = uint32_t(s.size());
        if (armed_ == u"short-block") {
            // Room for the characters but not for the NUL.
            void* p = nullptr;
            mem_->AllocMemory(&p, s.size() * 2);
            std::memcpy(p, s.data(), s.size() * 2);
            v->pwstrVal = static_cast<WCHAR_T*>(p);
            return;
        }
        if (armed_ == u"wstrlen-counts-nul") {
            // Two NULs, and a wstrLen that counts the first.
            std::u16string t = s + u'\0';
            v->pwstrVal = dup(t.c_str(), t.size());
            v->wstrLen = uint32_t(t.size());
            return;
        }
        v->pwstrVal = dup(s.c_str());
    }

    bool fail(const char16_t* text) {
        conn_->AddError(ADDIN_E_FAIL, u"mock", text, 1);
        return false;
    }

    void emit(const std::u16string& data) {
        conn_->ExternalEvent(const_cast<WCHAR_T*>(u"mock"), const_cast<WCHAR_T*>(u"tick"),
                             const_cast<WCHAR_T*>(data.c_str()));
    }

    void emit_later(const char16_t* message, const char16_t* data) {
        IAddInDefBaseEx* conn = conn_;
        worker_ = std::thread([conn, message, data] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            conn->ExternalEvent(const_cast<WCHAR_T*>(u"SocketIO"), const_cast<WCHAR_T*>(message),
                                const_cast<WCHAR_T*>(data));
        });
    }

    // Breaches that happen at once, inside the Misbehave call or from a thread.
    bool misbehave_now() {
        void* p = nullptr;
        if (armed_ == u"double-free") {
            mem_->AllocMemory(&p, 8);
            void* q = p;
            mem_->FreeMemory(&p);
            mem_->FreeMemory(&q);
        } else if (armed_ == u"foreign-free") {
            char on_stack[16];
            p = on_stack;
            mem_->FreeMemory(&p);
        } else if (armed_ == u"overrun") {
            mem_->AllocMemory(&p, 4);
            std::memset(p, 0x41, 12);
            mem_->FreeMemory(&p);
        } else if (armed_ == u"leak") {
            mem_->AllocMemory(&p, 100);
        } else if (armed_ == u"alloc-off-thread") {
            IMemoryManager* mem = mem_;
            worker_ = std::thread([mem] {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                void* q = nullptr;
                mem->AllocMemory(&q, 8);
                mem->FreeMemory(&q);
            });
        }
        return true;
    }

    void join() {
        if (worker_.joinable()) worker_.join();
    }

    IAddInDefBaseEx* conn_ = nullptr;
    IMemoryManager* mem_ = nullptr;
    std::u16string values_[kNProps];
    std::u16string armed_;
    std::thread worker_;
};

}  // namespace

extern "C" {

__attribute__((visibility("default"))) const WCHAR_T* GetClassNames() { return u"Client"; }

__attribute__((visibility("default"))) long GetClassObject(const WCHAR_T* name, IComponentBase** out) {
    if (*out != nullptr || !same_name(name, u"Client")) return 0;
    *out = new Mock();
    return 1;
}

__attribute__((visibility("default"))) long DestroyObject(IComponentBase** obj) {
    if (*obj == nullptr) return -1;
    delete *obj;
    *obj = nullptr;
    return 0;
}

__attribute__((visibility("default"))) AppCapabilities SetPlatformCapabilities(const AppCapabilities) {
    return eAppCapabilities3;
}

__attribute__((visibility("default"))) AttachType GetAttachType() { return eCanAttachAny; }
}
