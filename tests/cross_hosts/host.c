/* A 1C:Enterprise host in C with explicit Itanium vtables (abi.h): loads the add-in as 1C does on
 * Linux and runs the seed scenario against a live socket.io server, the same way on every Linux
 * target (x86_64, i686, ARM64). Windows has its own host, laid out by a compiler for the MSVC
 * ABI: tests/msvc_host.
 *
 * Build (what .ci/package/run-hosts.sh does):
 *   gcc / i686-linux-gnu-gcc / aarch64-linux-gnu-gcc -std=gnu11 -O1 -Wall -Wextra -Werror \
 *     -o host host.c -ldl -lpthread
 * Run:
 *   host LIB URL [--ca CA.pem] [--server] [--expect-reject] [--insecure]
 *     URL              ws://127.0.0.1:PORT/ or wss://127.0.0.1:PORT/ of tests/servers/server.js
 *     --ca FILE        set CACertificate (custom CA) before connecting
 *     --server         report eAppServer: the add-in queues events, pulled with GetEvent
 *     --expect-reject  the TLS handshake must fail (unknown CA): expect a Fail event
 *     --insecure       set VerifyCertificate = False (a Boolean property) before connecting
 * One line per check ("ok   ..." / "FAIL ..."), "ALL OK" and exit 0 when everything passed.
 */
#include "abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dlfcn.h>
#include <pthread.h>
#include <unistd.h>
typedef pthread_mutex_t Mutex;
static void mutex_init(Mutex* m) { pthread_mutex_init(m, NULL); }
static void lock(Mutex* m) { pthread_mutex_lock(m); }
static void unlock(Mutex* m) { pthread_mutex_unlock(m); }
static void sleep_ms(unsigned ms) { usleep(ms * 1000u); }
static unsigned long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000u + (unsigned long long)t.tv_nsec / 1000000u;
}
static void* open_lib(const char* path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static void* find_sym(void* lib, const char* name) { return dlsym(lib, name); }
static int close_lib(void* lib) { return dlclose(lib); }
static const char* lib_error(void) { return dlerror(); }

/* ---- reporting and UTF-16 helpers ------------------------------------------------------- */

static int g_failures;

static bool check(bool ok, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    if (!ok) ++g_failures;
    return ok;
}

static size_t wlen(const WCHAR_T* s) {
    size_t n = 0;
    while (s != NULL && s[n] != 0) ++n;
    return n;
}

static bool weq(const WCHAR_T* a, const WCHAR_T* b) {
    size_t n = wlen(b);
    return a != NULL && wlen(a) == n && memcmp(a, b, n * 2) == 0;
}

static bool wcontains(const WCHAR_T* hay, const WCHAR_T* needle) {
    size_t h = wlen(hay), n = wlen(needle);
    for (size_t i = 0; hay != NULL && i + n <= h; ++i)
        if (memcmp(hay + i, needle, n * 2) == 0) return true;
    return false;
}

/* UTF-16 to UTF-8 into a rotating static buffer, for messages (surrogates are combined). */
static const char* u8(const WCHAR_T* s) {
    static char bufs[4][4096];
    static int next;
    char* out = bufs[next++ & 3];
    size_t o = 0;
    for (size_t i = 0; s != NULL && s[i] != 0 && o + 5 < sizeof bufs[0]; ++i) {
        unsigned long c = s[i];
        if (c >= 0xD800 && c < 0xDC00 && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000)
            c = 0x10000 + ((c - 0xD800) << 10) + (s[++i] - 0xDC00);
        if (c < 0x80) {
            out[o++] = (char)c;
        } else if (c < 0x800) {
            out[o++] = (char)(0xC0 | (c >> 6));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[o++] = (char)(0xE0 | (c >> 12));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[o++] = (char)(0xF0 | (c >> 18));
            out[o++] = (char)(0x80 | ((c >> 12) & 0x3F));
            out[o++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[o] = 0;
    return out;
}

/* ASCII (URLs, paths) to UTF-16; the caller frees. */
static WCHAR_T* from_ascii(const char* s) {
    size_t n = strlen(s);
    WCHAR_T* w = (WCHAR_T*)calloc(n + 1, 2);
    for (size_t i = 0; i < n; ++i) w[i] = (unsigned char)s[i];
    return w;
}

/* ---- IMemoryManager: every block tagged, counted and checked on free -------------------- */

#define MAGIC 0x1C1CA110u
typedef struct Block {
    uint32_t magic;
    uint32_t size;
    uint64_t pad; /* keeps the user bytes 8-aligned */
} Block;

static Mutex g_mem_mu;
static long g_live_blocks, g_bad_frees;

static void* mem_alloc(size_t n) {
    Block* b = (Block*)malloc(sizeof(Block) + n);
    if (b == NULL) return NULL;
    b->magic = MAGIC;
    b->size = (uint32_t)n;
    lock(&g_mem_mu);
    ++g_live_blocks;
    unlock(&g_mem_mu);
    return b + 1;
}

static void mem_free(void* p) {
    if (p == NULL) return;
    Block* b = (Block*)p - 1;
    lock(&g_mem_mu);
    if (b->magic != MAGIC) {
        ++g_bad_frees;
        unlock(&g_mem_mu);
        fprintf(stderr, "VIOLATION free of a block the memory manager did not allocate\n");
        return;
    }
    b->magic = 0;
    --g_live_blocks;
    unlock(&g_mem_mu);
    free(b);
}

static void host_dtor(void* self) { (void)self; }
#define HOST_DTORS {host_dtor, host_dtor}

static bool API mm_alloc(void* self, void** p, unsigned long bytes) {
    (void)self;
    *p = mem_alloc(bytes);
    return *p != NULL;
}
static void API mm_free(void* self, void** p) {
    (void)self;
    mem_free(*p);
    *p = NULL;
}
static const MemoryVtbl g_mem_vtbl = {HOST_DTORS, mm_alloc, mm_free};
static struct { const MemoryVtbl* vt; } g_memory = {&g_mem_vtbl};

/* ---- IAddInDefBaseEx: errors, the event list, IPlatformInfo ------------------------------ */

#define MAX_EVENTS 256
typedef struct Event {
    WCHAR_T* message;
    WCHAR_T* data;
} Event;

typedef struct Conn {
    const ConnectionVtbl* vt;
    Mutex mu;
    Event events[MAX_EVENTS];
    int count;
    bool dead; /* after Done: an ExternalEvent now is a violation */
    long depth;
    int errors;
    int late_events;
    int external; /* events that came through ExternalEvent */
    int pulled;   /* events that came through GetEvent (queue mode) */
} Conn;

static int g_app_type = eAppThinClient;
static WCHAR_T* wdup(const WCHAR_T* s) {
    size_t n = wlen(s);
    WCHAR_T* d = (WCHAR_T*)malloc((n + 1) * 2);
    if (n) memcpy(d, s, n * 2);
    d[n] = 0;
    return d;
}

/* Keeps an event (the queue-mode path of GetEvent feeds the same list). */
static void push_event(Conn* c, const WCHAR_T* message, const WCHAR_T* data) {
    lock(&c->mu);
    if (c->count < MAX_EVENTS) {
        c->events[c->count].message = wdup(message);
        c->events[c->count].data = wdup(data);
        ++c->count;
    }
    unlock(&c->mu);
}

static bool API c_add_error(void* self, unsigned short wcode, const WCHAR_T* source, const WCHAR_T* descr, long scode) {
    Conn* c = (Conn*)self;
    printf("     AddError(%u, %s, %s, %ld)\n", wcode, u8(source), u8(descr), scode);
    ++c->errors;
    return true;
}
static bool API c_read(void* self, WCHAR_T* n, tVariant* v, long* e, WCHAR_T** d) {
    (void)self, (void)n, (void)v, (void)e, (void)d;
    return false;
}
static bool API c_write(void* self, WCHAR_T* n, tVariant* v) { (void)self, (void)n, (void)v; return false; }
static bool API c_register_profile(void* self, WCHAR_T* n) { (void)self, (void)n; return false; }
static bool API c_set_depth(void* self, long depth) { ((Conn*)self)->depth = depth; return true; }
static long API c_get_depth(void* self) { return ((Conn*)self)->depth; }
static bool API c_external_event(void* self, WCHAR_T* source, WCHAR_T* message, WCHAR_T* data) {
    Conn* c = (Conn*)self;
    (void)source;
    if (c->dead) {
        ++c->late_events;
        fprintf(stderr, "VIOLATION ExternalEvent after Done: %s\n", u8(message));
        return false;
    }
    push_event(c, message, data);
    ++c->external;
    return true;
}
static void API c_clean(void* self) { (void)self; }
static bool API c_status(void* self, WCHAR_T* t) { (void)self, (void)t; return true; }
static void API c_reset_status(void* self) { (void)self; }

static AppInfo g_app_info;
static const AppInfo* API pi_get(void* self) {
    (void)self;
    g_app_info.AppVersion = u"8.3.25.1000";
    g_app_info.UserAgentInformation = u"socketio1c cross host";
    g_app_info.Application = g_app_type;
    return &g_app_info;
}
static const PlatformInfoVtbl g_pi_vtbl = {pi_get};
static struct { const PlatformInfoVtbl* vt; } g_platform_info = {&g_pi_vtbl};

static void* API c_get_interface(void* self, int iface) {
    (void)self;
    return iface == eIPlatformInfo ? (void*)&g_platform_info : NULL;
}

static const ConnectionVtbl g_conn_vtbl = {
    HOST_DTORS,  c_add_error, c_read,  c_write,        c_register_profile, c_set_depth,
    c_get_depth, c_external_event, c_clean, c_status, c_reset_status,     c_get_interface};

/* ---- calling the component ---------------------------------------------------------------- */

static GetClassObjectFn g_get_class_object;
static DestroyObjectFn g_destroy_object;

#define LANG(o) ((void*)&(o)->lang) /* base 1: the ILanguageExtenderBase sub-object */

static void clear(tVariant* v) {
    if (v->vt == VTYPE_PWSTR || v->vt == VTYPE_BLOB) mem_free(v->pstrVal);
    memset(v, 0, sizeof *v);
}

static void set_wstr(tVariant* v, const WCHAR_T* s) {
    size_t n = wlen(s);
    memset(v, 0, sizeof *v);
    v->pwstrVal = (WCHAR_T*)mem_alloc((n + 1) * 2);
    memcpy(v->pwstrVal, s, (n + 1) * 2);
    v->wstrLen = (uint32_t)n;
    v->vt = VTYPE_PWSTR;
}

/* A string the add-in returned by pointer: checked to be ours (AllocMemory), copied, freed. */
static WCHAR_T* take(const WCHAR_T* p) {
    WCHAR_T* copy = wdup(p);
    mem_free((void*)p);
    return copy;
}

/* Calls method `name` with `args` (NULL-terminated strings; missing ones take their defaults);
 * `ret` (optional) receives the return value; the caller clears it. */
static bool call(Component* o, const WCHAR_T* name, const WCHAR_T* const* args, tVariant* ret) {
    long m = o->lang->FindMethod(LANG(o), name);
    if (m < 0) return check(false, "FindMethod(%s)", u8(name));
    long n = o->lang->GetNParams(LANG(o), m);
    tVariant params[4];
    memset(params, 0, sizeof params);
    for (long i = 0; i < n && i < 4; ++i) {
        if (args != NULL && args[i] != NULL)
            set_wstr(&params[i], args[i]);
        else
            o->lang->GetParamDefValue(LANG(o), m, i, &params[i]);
    }
    tVariant r;
    memset(&r, 0, sizeof r);
    bool ok = o->lang->HasRetVal(LANG(o), m) ? o->lang->CallAsFunc(LANG(o), m, &r, params, n)
                                             : o->lang->CallAsProc(LANG(o), m, params, n);
    for (long i = 0; i < n && i < 4; ++i) clear(&params[i]);
    if (ret != NULL)
        *ret = r;
    else
        clear(&r);
    return ok;
}

static bool call1(Component* o, const WCHAR_T* name, const WCHAR_T* a) {
    const WCHAR_T* args[] = {a, NULL};
    return call(o, name, args, NULL);
}

static bool get_prop(Component* o, const WCHAR_T* name, tVariant* out) {
    long p = o->lang->FindProp(LANG(o), name);
    memset(out, 0, sizeof *out);
    return p >= 0 && o->lang->IsPropReadable(LANG(o), p) && o->lang->GetPropVal(LANG(o), p, out);
}

static bool set_bool_prop(Component* o, const WCHAR_T* name, bool value) {
    long p = o->lang->FindProp(LANG(o), name);
    tVariant v;
    memset(&v, 0, sizeof v);
    v.vt = VTYPE_BOOL;
    v.bVal = value;
    bool ok = p >= 0 && o->lang->SetPropVal(LANG(o), p, &v);
    memset(&v, 0, sizeof v);
    ok = ok && get_prop(o, name, &v) && v.vt == VTYPE_BOOL && v.bVal == value;
    clear(&v);
    return ok;
}

static bool set_prop(Component* o, const WCHAR_T* name, const WCHAR_T* value) {
    long p = o->lang->FindProp(LANG(o), name);
    tVariant v;
    set_wstr(&v, value);
    bool ok = p >= 0 && o->lang->SetPropVal(LANG(o), p, &v);
    clear(&v);
    return ok;
}

static const char* last_error(Component* o) {
    tVariant v;
    static char buf[1024];
    buf[0] = 0;
    if (get_prop(o, u"LastError", &v) && v.vt == VTYPE_PWSTR) snprintf(buf, sizeof buf, "%s", u8(v.pwstrVal));
    clear(&v);
    return buf;
}

static Component* create(Conn* conn) {
    Component* o = NULL;
    memset(conn, 0, sizeof *conn);
    conn->vt = &g_conn_vtbl;
    mutex_init(&conn->mu);
    long made = g_get_class_object(u"Client", &o);
    if (!check(made != 0 && o != NULL, "GetClassObject(\"Client\")")) return NULL;
    check(o->init->setMemManager(o, &g_memory), "setMemManager");
    bool inited = o->init->Init(o, conn);
    check(inited, "Init (event buffer depth now %ld)", conn->depth);
    check(o->init->GetInfo(o) > 0, "GetInfo");
    o->locale->SetLocale((void*)&o->locale, u"ru_RU");
    o->user_lang->SetUserInterfaceLanguageCode((void*)&o->user_lang, u"ru");
    WCHAR_T* ext = NULL;
    bool ok = o->lang->RegisterExtensionAs(LANG(o), &ext);
    WCHAR_T* name = take(ext);
    check(ok && weq(name, u"Client"), "RegisterExtensionAs = \"%s\"", u8(name));
    free(name);
    return o;
}

/* Queue mode: one GetEvent(Event, Data, 200) call; a pulled event joins the list. */
static void pull(Component* o, Conn* c) {
    tVariant params[3], r;
    long m = o->lang->FindMethod(LANG(o), u"ПолучитьСобытие");
    memset(params, 0, sizeof params);
    memset(&r, 0, sizeof r);
    set_wstr(&params[0], u""); /* in/out: the add-in frees these and writes the event */
    set_wstr(&params[1], u"");
    params[2].vt = VTYPE_I4;
    params[2].lVal = 200;
    bool ok = o->lang->CallAsFunc(LANG(o), m, &r, params, 3);
    if (ok && r.vt == VTYPE_BOOL && r.bVal && params[0].vt == VTYPE_PWSTR && params[1].vt == VTYPE_PWSTR)
    {
        push_event(c, params[0].pwstrVal, params[1].pwstrVal);
        ++c->pulled;
    }
    for (int i = 0; i < 3; ++i) clear(&params[i]);
    clear(&r);
}

/* The first event from index `from` on whose message contains `what`, or -1. */
static int find_event(Conn* c, const WCHAR_T* what, int from) {
    int found = -1;
    lock(&c->mu);
    for (int i = from; i < c->count && found < 0; ++i)
        if (wcontains(c->events[i].message, what)) found = i;
    unlock(&c->mu);
    return found;
}

/* Waits up to 20 s for such an event; returns its index or -1. */
static int wait_event(Component* o, Conn* c, const WCHAR_T* what, int from) {
    unsigned long long deadline = now_ms() + 20000;
    for (;;) {
        int i = find_event(c, what, from);
        if (i >= 0) return i;
        if (now_ms() > deadline) return -1;
        if (g_app_type == eAppServer)
            pull(o, c);
        else
            sleep_ms(10);
    }
}

static void dump_events(Conn* c) {
    lock(&c->mu);
    for (int i = 0; i < c->count; ++i) printf("     event %d: %s | %s\n", i, u8(c->events[i].message), u8(c->events[i].data));
    unlock(&c->mu);
}

static void destroy(Component** o, Conn* conn, const char* label) {
    (*o)->init->Done(*o);
    lock(&conn->mu);
    conn->dead = true;
    unlock(&conn->mu);
    g_destroy_object(o);
    check(*o == NULL, "%s: Done + DestroyObject clears the pointer", label);
}

/* ---- the scenario ------------------------------------------------------------------------- */

static void seed(Component* o, Conn* c, const char* url, const char* ca, bool expect_reject, bool insecure) {
    tVariant v;
    long ver = o->lang->FindProp(LANG(o), u"version");
    check(ver >= 0 && ver == o->lang->FindProp(LANG(o), u"ВЕРСИЯ"), "FindProp(\"version\") = FindProp(\"ВЕРСИЯ\")");
    bool ok = get_prop(o, u"Версия", &v) && v.vt == VTYPE_PWSTR && v.wstrLen == wlen(v.pwstrVal) && v.wstrLen > 0;
    check(ok, "Version = \"%s\" (PWSTR, wstrLen without the NUL)", ok ? u8(v.pwstrVal) : "?");
    clear(&v);
    if (ca != NULL) {
        WCHAR_T* path = from_ascii(ca);
        check(set_prop(o, u"СертификатУЦ", path), "CACertificate = %s", ca);
        free(path);
    }
    if (insecure) check(set_bool_prop(o, u"ПроверятьСертификат", false), "VerifyCertificate = False (reads back)");
    check(call1(o, u"On", u"greeting") && call1(o, u"Подписаться", u"echo"), "On(\"greeting\"), On(\"echo\")");
    WCHAR_T* wurl = from_ascii(url);
    check(call1(o, u"Connect", wurl), "Connect(\"%s\")", url);
    free(wurl);

    if (expect_reject) {
        int i = wait_event(o, c, u"\"Event\": \"Connection\"", 0);
        bool failed = i >= 0 && wcontains(c->events[i].message, u"\"State\": \"Fail\"");
        check(failed, "the unknown CA is rejected: a Fail event (LastError: %s)", last_error(o));
        if (!failed) dump_events(c);
        return;
    }
    int open = wait_event(o, c, u"\"Event\": \"Connection\"", 0);
    if (!check(open >= 0 && wcontains(c->events[open].message, u"\"State\": \"Open\""), "an Open event (LastError: %s)",
               last_error(o))) {
        dump_events(c);
        return;
    }
    check(get_prop(o, u"Connected", &v) && v.vt == VTYPE_BOOL && v.bVal, "Connected = True");
    clear(&v);

    int greet = wait_event(o, c, u"\"Name\": \"greeting\"", open);
    check(greet >= 0 && weq(c->events[greet].data, u"[\"greeting\",\"Привет мир!\"]"), "greeting event: %s",
          greet >= 0 ? u8(c->events[greet].data) : "none");

    const WCHAR_T* send[] = {u"echo", u"Привет, сервер!", NULL};
    check(call(o, u"Отправить", send, NULL), "Send(\"echo\", \"Привет, сервер!\")");
    int echo = wait_event(o, c, u"\"Name\": \"echo\"", open);
    check(echo >= 0 && weq(c->events[echo].data, u"[\"echo\",\"Привет, сервер!\"]"), "echo event: %s",
          echo >= 0 ? u8(c->events[echo].data) : "none");
    check(find_event(c, u"\"Name\": \"welcome\"", 0) < 0, "the unsubscribed welcome was not delivered");

    check(call(o, u"Disconnect", NULL, NULL), "Disconnect()");
    int close = wait_event(o, c, u"\"State\": \"Close\"", open);
    check(close >= 0, "a Close event");
    if (g_app_type == eAppServer)
        check(c->pulled > 0 && c->external == 0, "server: %d events pulled with GetEvent, %d external events", c->pulled,
              c->external);
    else
        check(c->external > 0 && c->pulled == 0, "client: %d external events", c->external);
    if (g_failures) dump_events(c);
}

int main(int argc, char** argv) {
    const char *lib_path = NULL, *url = NULL, *ca = NULL;
    bool expect_reject = false, insecure = false;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
            ca = argv[++i];
        else if (strcmp(argv[i], "--server") == 0)
            g_app_type = eAppServer;
        else if (strcmp(argv[i], "--expect-reject") == 0)
            expect_reject = true;
        else if (strcmp(argv[i], "--insecure") == 0)
            insecure = true;
        else if (lib_path == NULL)
            lib_path = argv[i];
        else
            url = argv[i];
    }
    if (lib_path == NULL || url == NULL) {
        fprintf(stderr, "usage: %s LIB URL [--ca CA.pem] [--server] [--expect-reject] [--insecure]\n", argv[0]);
        return 2;
    }
    mutex_init(&g_mem_mu);
    printf("host: sizeof(tVariant) = %u, sizeof(long) = %u, sizeof(void*) = %u, %s vtables, %s\n",
           (unsigned)sizeof(tVariant), (unsigned)sizeof(long), (unsigned)sizeof(void*),
           "Itanium (two destructor slots)",
           g_app_type == eAppServer ? "server (queue mode)" : "thin client (external events)");

    void* lib = open_lib(lib_path);
    if (!check(lib != NULL, "load %s%s%s", lib_path, lib ? "" : ": ", lib ? "" : lib_error())) return 1;
    g_get_class_object = (GetClassObjectFn)find_sym(lib, "GetClassObject");
    g_destroy_object = (DestroyObjectFn)find_sym(lib, "DestroyObject");
    GetClassNamesFn names = (GetClassNamesFn)find_sym(lib, "GetClassNames");
    SetPlatformCapabilitiesFn caps = (SetPlatformCapabilitiesFn)find_sym(lib, "SetPlatformCapabilities");
    GetAttachTypeFn attach = (GetAttachTypeFn)find_sym(lib, "GetAttachType");
    if (!check(g_get_class_object && g_destroy_object && names && caps && attach, "the five exports")) return 1;
    check(caps(3) == 3, "SetPlatformCapabilities(3) = 3");
    check(attach() >= 1 && attach() <= 3, "GetAttachType = %d", attach());
    check(wcontains(names(), u"Client"), "GetClassNames = \"%s\"", u8(names()));

    Conn c1, c2;
    Component* o = create(&c1);
    if (o == NULL) return 1;
    seed(o, &c1, url, ca, expect_reject, insecure);
    destroy(&o, &c1, "object 1");

    /* OneScript's teardown: Done, then C++ `delete` through the virtual deleting destructor
     * (Itanium: D0 in slot 1). */
    Component* p = create(&c2);
    if (p == NULL) return 1;
    p->init->Done(p);
    c2.dead = true;
    p->init->dtor.deleting(p);
    check(true, "object 2: Done + delete through the virtual deleting destructor");

    sleep_ms(300); /* a late ExternalEvent from a thread that outlived Done would land now */
    check(c1.late_events == 0 && c2.late_events == 0, "no ExternalEvent after Done");
    check(g_live_blocks == 0 && g_bad_frees == 0, "memory: %ld live blocks, %ld bad frees", g_live_blocks, g_bad_frees);
    check(close_lib(lib) == 0, "unload the library (it stays pinned: threads keep running)");
    sleep_ms(300);
    if (g_failures) {
        printf("%d check(s) FAILED\n", g_failures);
        return 1;
    }
    printf("ALL OK\n");
    return 0;
}
