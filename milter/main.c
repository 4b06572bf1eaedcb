/*
 * consent-milter — the daemon: options, start-up (socket, privileges,
 * daemon mode, pid file), the signal loop (SIGHUP reloads, SIGTERM stops
 * after the messages in flight) and the test modes -n and -t.
 *
 * libmilter runs in a thread of its own. HUP, USR1, TERM and INT are
 * blocked in every thread and taken by the main thread alone, with
 * sigwaitinfo (see sigwait below for why libmilter's own signal thread
 * never gets them). On TERM the callbacks first drain (new work
 * tempfailed, work under way finished), and only then is libmilter
 * stopped, since Debian's libmilter serves no session at all once stopped.
 * A stop nobody asked for (libmilter's loop ended by itself) exits 1, so
 * that systemd's Restart=on-failure starts the milter again.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"
#include "logging.h"
#include "runtime.h"
#include "store.h"
#include "tcpnodelay.h"
#include "testmode.h"

#define DEFAULT_CONFIG "/etc/consent-milter/consent-milter.conf"
#define DRAIN_SECONDS 30

static struct {
    char *config;
    gboolean foreground, check, version;
    char **test_files, **rcpts, **rest;
} opt;

static int smfi_result = MI_SUCCESS;
static gint milter_ended; /* smfi_main returned */
static pthread_t main_thread;

/* The signals the main thread takes; blocked everywhere else. */
static void daemon_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

/*
 * libmilter's signal thread (mi_signal_thread, started by smfi_main)
 * sigwaits on HUP, TERM and INT and stops the milter on any of them. With
 * two threads waiting for the same process-directed signal the kernel
 * hands it to either, so blocking the signals and waiting for them in a
 * thread of our own is not enough: a HUP that came while the main thread
 * was busy (reloading) went to libmilter's thread, which stopped the
 * daemon with exit 0. libmilter calls sigwait through the dynamic linker,
 * and a definition in the executable comes first in the lookup: this one
 * leaves our signals out of whatever set the caller gives, so libmilter's
 * thread waits for none of them (for ever, once its set is empty) and only
 * the main loop, which calls sigwaitinfo, ever takes them.
 */
int sigwait(const sigset_t *set, int *sig)
{
    sigset_t ours, wanted = *set;
    daemon_signals(&ours);
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&ours, s) == 1)
            sigdelset(&wanted, s);
    for (;;) {
        int got = sigwaitinfo(&wanted, NULL);
        if (got > 0) {
            *sig = got;
            return 0;
        }
        if (errno != EINTR)
            return errno;
    }
}

static void *milter_thread(void *arg)
{
    (void)arg;
    smfi_result = smfi_main();
    g_atomic_int_set(&milter_ended, 1);
    pthread_kill(main_thread, SIGTERM); /* wake the main loop */
    return NULL;
}

static int check_config(const char *path)
{
    char err[CONF_ERR_MAX];
    conf *c = conf_load(path, err);
    if (c == NULL) {
        fprintf(stderr, "consent-milter: %s\n", err);
        return 1;
    }
    char why[CLASSIFIER_ERR_MAX];
    classifier *cls = classifier_new(c->signals_file, why);
    if (cls == NULL) {
        fprintf(stderr, "consent-milter: %s: SignalsFile: %s\n", path, why);
        conf_free(c);
        return 1;
    }
    classifier_free(cls);
    printf("%s: configuration OK (Mode %s, Socket %s)\n", path, conf_mode_name(c->mode),
           c->socket);
    conf_free(c);
    return 0;
}

/* UserID "user" or "user:group" -> ids (the user's own group by default). */
static int resolve_user(const char *user_id, uid_t *uid, gid_t *gid, char **name)
{
    gchar **parts = g_strsplit(user_id, ":", 2);
    struct passwd *pw = getpwnam(parts[0]);
    int rc = -1;
    if (pw == NULL) {
        log_msg(LOG_ERR, NULL, "UserID: no such user '%s'", parts[0]);
        goto out;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    *name = g_strdup(pw->pw_name);
    if (parts[1] != NULL) {
        struct group *gr = getgrnam(parts[1]);
        if (gr == NULL) {
            log_msg(LOG_ERR, NULL, "UserID: no such group '%s'", parts[1]);
            g_free(*name);
            goto out;
        }
        *gid = gr->gr_gid;
    }
    rc = 0;
out:
    g_strfreev(parts);
    return rc;
}

static int drop_privileges(uid_t uid, gid_t gid, const char *name)
{
    if (getuid() == uid)
        return 0;
    if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || initgroups(name, gid) < 0 ||
        setuid(uid) < 0) {
        log_msg(LOG_ERR, NULL, "UserID: cannot become %s: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

static int daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") < 0)
        return -1;
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    return 0;
}

/* The pid file is created while the milter still runs as the user that
 * started it (root, where UserID is set), before it drops privileges and
 * detaches: a directory only root may write to (/run) works, and a pid
 * file that cannot be made stops the start with a message and exit 1
 * instead of a daemon that vanishes after reporting success. The pid,
 * known only after detaching, goes into the descriptor kept open. */
static int open_pid_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        log_msg(LOG_ERR, NULL, "PidFile %s: %s", path, strerror(errno));
    return fd;
}

static int write_pid_file(int fd, const char *path)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != n) {
        log_msg(LOG_ERR, NULL, "PidFile %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* At a clean stop. Without the right to remove it (UserID, a root-only
 * directory) it is emptied, so that no stale pid is left behind. */
static void remove_pid_file(int fd, const char *path)
{
    if (unlink(path) < 0 && ftruncate(fd, 0) < 0)
        log_msg(LOG_WARNING, NULL, "PidFile %s: cannot remove or empty it: %s", path,
                strerror(errno));
}

/* libmilter removes a stale UNIX socket before binding, but on anything
 * else at the path it fails with whatever errno it last saw ("No such file
 * or directory" for a regular file). Say what is in the way instead. */
static int check_socket_path(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || S_ISSOCK(st.st_mode))
        return 0; /* nothing there (libmilter reports a missing directory) or a socket */
    log_msg(LOG_ERR, NULL, "Socket local:%s: %s is %s, not a socket; remove it or choose "
            "another path", path, path,
            S_ISREG(st.st_mode) ? "a regular file" : S_ISDIR(st.st_mode) ? "a directory"
            : S_ISLNK(st.st_mode) ? "a symbolic link" : "not a socket");
    return -1;
}

/* The socket path of local:/unix: sockets, else NULL. */
static const char *unix_socket_path(const char *socket)
{
    if (g_str_has_prefix(socket, "local:") || g_str_has_prefix(socket, "unix:"))
        return strchr(socket, ':') + 1;
    return NULL;
}

static void reload(const char *config_path, const conf *running)
{
    char err[CONF_ERR_MAX];
    runtime *fresh = runtime_build(config_path, err);
    if (fresh == NULL) {
        log_msg(LOG_ERR, NULL, "reload refused, the running configuration stays: %s", err);
        return;
    }
    if (strcmp(fresh->cfg->socket, running->socket) != 0)
        log_msg(LOG_WARNING, NULL, "Socket changed to %s: takes effect only after a restart",
                fresh->cfg->socket);
    log_setup(fresh->cfg->syslog, fresh->cfg->syslog_facility, opt.foreground);
    log_msg(LOG_INFO, NULL, "configuration reloaded from %s (Mode %s)", config_path,
            conf_mode_name(fresh->cfg->mode));
    runtime_install(fresh);
}

static int run_daemon(const char *config_path)
{
    char err[CONF_ERR_MAX];
    conf *boot = conf_load(config_path, err);
    if (boot == NULL) {
        fprintf(stderr, "consent-milter: %s\n", err);
        return 1;
    }
    /* Until the daemon detaches, errors also go to the terminal: a start
     * that fails must say why where it was started. */
    log_setup(boot->syslog, boot->syslog_facility, true);
    umask(boot->umask);
    int rc = 1;
    int pid_fd = -1;
    uid_t uid = 0;
    gid_t gid = 0;
    char *user = NULL;
    if (boot->user_id != NULL && resolve_user(boot->user_id, &uid, &gid, &user) < 0)
        goto out;
    if (smfi_setconn(boot->socket) != MI_SUCCESS ||
        smfi_register(*callbacks_filter()) != MI_SUCCESS) {
        log_msg(LOG_ERR, NULL, "cannot set up libmilter for %s", boot->socket);
        goto out;
    }
    const char *sock_path = unix_socket_path(boot->socket);
    if (sock_path != NULL && check_socket_path(sock_path) < 0)
        goto out;
    if (smfi_opensocket(true) != MI_SUCCESS) {
        log_msg(LOG_ERR, NULL, "cannot open socket %s: %s", boot->socket, strerror(errno));
        goto out;
    }
    /* Without this every answer in more than one write (a header change,
     * then the verdict) waits ~40 ms for the MTA's delayed ACK. */
    char nerr[256];
    int nodelay = milter_listener_nodelay(nerr);
    if (nodelay < 0)
        log_msg(LOG_WARNING, NULL, "%s; answers to the MTA may be delayed", nerr);
    else if (nodelay == 0 && unix_socket_path(boot->socket) == NULL)
        log_msg(LOG_WARNING, NULL, "no listening TCP socket found to set TCP_NODELAY on; "
                                   "answers to the MTA may be delayed");
    const char *path = unix_socket_path(boot->socket);
    callbacks_set_tcp(path == NULL);
    if (path != NULL && user != NULL && chown(path, uid, gid) < 0)
        log_msg(LOG_WARNING, NULL, "cannot hand %s to %s: %s", path, boot->user_id,
                strerror(errno));
    if (boot->pid_file != NULL && (pid_fd = open_pid_file(boot->pid_file)) < 0)
        goto out;
    /* Everything that can fail at start happens before detaching, as the
     * unprivileged user: the stores it opens then belong to that user. */
    if (user != NULL && drop_privileges(uid, gid, user) < 0)
        goto out;
    runtime *rt = runtime_build(config_path, err);
    if (rt == NULL) {
        log_msg(LOG_ERR, NULL, "%s", err);
        goto out;
    }
    if (!opt.foreground && daemonize() < 0) {
        log_msg(LOG_ERR, NULL, "cannot become a daemon: %s", strerror(errno));
        runtime_free_unused(rt);
        goto out;
    }
    log_setup(boot->syslog, boot->syslog_facility, opt.foreground);
    if (pid_fd >= 0 && write_pid_file(pid_fd, boot->pid_file) < 0) {
        runtime_free_unused(rt);
        goto out;
    }
    runtime_install(rt);
    char serr[STORE_ERR_MAX];
    store *probe = store_open(boot->database, STORE_READONLY, serr);
    if (probe == NULL)
        log_msg(LOG_WARNING, NULL,
                "consent store not readable yet (promotional mail gets OnDatabaseError %s): %s",
                conf_on_error_name(boot->on_database_error), serr);
    store_close(probe);

    sigset_t set;
    daemon_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    main_thread = pthread_self();
    pthread_t tid;
    if (pthread_create(&tid, NULL, milter_thread, NULL) != 0) {
        log_msg(LOG_ERR, NULL, "cannot start the milter thread");
        runtime_shutdown();
        goto out;
    }
    log_msg(LOG_INFO, NULL, "consent-milter %s listening on %s (Mode %s)", CONSENT_MILTER_VERSION,
            boot->socket, conf_mode_name(boot->mode));
    bool unplanned = false;
    for (;;) {
        /* HUPs that arrive during a reload are kept pending (several as
         * one) and give one more reload here: none is lost, none stops. */
        int sig = sigwaitinfo(&set, NULL);
        if (sig < 0)
            continue;
        if (g_atomic_int_get(&milter_ended)) {
            unplanned = true;
            log_msg(LOG_ERR, NULL, "libmilter stopped by itself (%s): exiting with status 1",
                    smfi_result == MI_SUCCESS ? "no error" : "error");
            break;
        }
        if (sig == SIGHUP || sig == SIGUSR1) {
            runtime *cur = runtime_acquire();
            reload(config_path, cur->cfg);
            runtime_release(cur);
            continue;
        }
        log_msg(LOG_INFO, NULL, "signal %d: finishing messages in flight, new ones tempfailed",
                sig);
        break;
    }
    callbacks_begin_drain();
    if (!unplanned && !callbacks_wait_idle(DRAIN_SECONDS))
        log_msg(LOG_WARNING, NULL, "stopping with messages still in flight after %d s; the MTA "
                                   "keeps and retries them", DRAIN_SECONDS);
    smfi_stop();
    pthread_join(tid, NULL);
    runtime_shutdown();
    rc = !unplanned && smfi_result == MI_SUCCESS ? 0 : 1;
    log_msg(unplanned ? LOG_ERR : LOG_INFO, NULL, "stopped");
out:
    if (pid_fd >= 0) { /* ours, whether the start failed or the milter stopped */
        remove_pid_file(pid_fd, boot->pid_file);
        close(pid_fd);
    }
    g_free(user);
    conf_free(boot);
    return rc;
}

int main(int argc, char **argv)
{
    GOptionEntry entries[] = {
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt.config,
         "Configuration file (default " DEFAULT_CONFIG ")", "FILE"},
        {"foreground", 'f', 0, G_OPTION_ARG_NONE, &opt.foreground,
         "Stay in the foreground and log to standard error too", NULL},
        {"check", 'n', 0, G_OPTION_ARG_NONE, &opt.check,
         "Check the configuration and exit (0 valid, 1 not)", NULL},
        {"test", 't', 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.test_files,
         "Run FILE.eml through the decision without an MTA (more files may follow)", "FILE"},
        {"rcpt", 'r', 0, G_OPTION_ARG_STRING_ARRAY, &opt.rcpts,
         "A recipient for -t (repeatable; default: the message's To, Cc, Bcc)", "ADDR"},
        {"version", 'V', 0, G_OPTION_ARG_NONE, &opt.version, "Print the version", NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.rest, NULL, NULL},
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx = g_option_context_new("- consent enforcement for outgoing mail");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *error = NULL;
    int rc;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "consent-milter: %s (see consent-milter --help)\n", error->message);
        g_error_free(error);
        rc = 2;
    } else if (opt.version) {
        unsigned int major = 0, minor = 0, patch = 0;
        smfi_version(&major, &minor, &patch);
        printf("consent-milter %s (libmilter %u.%u.%u, consent store schema %d)\n",
               CONSENT_MILTER_VERSION, major, minor, patch, STORE_SCHEMA_VERSION);
        rc = 0;
    } else if (opt.rest != NULL && opt.test_files == NULL) {
        fprintf(stderr, "consent-milter: unexpected argument '%s' (see consent-milter --help)\n",
                opt.rest[0]);
        rc = 2;
    } else {
        const char *config = opt.config ? opt.config : DEFAULT_CONFIG;
        if (opt.check) {
            rc = check_config(config);
        } else if (opt.test_files != NULL) {
            GPtrArray *files = g_ptr_array_new();
            for (char **f = opt.test_files; *f; f++)
                g_ptr_array_add(files, *f);
            for (char **f = opt.rest; f && *f; f++)
                g_ptr_array_add(files, *f);
            g_ptr_array_add(files, NULL);
            rc = testmode_run(config, (char **)files->pdata, opt.rcpts);
            g_ptr_array_free(files, TRUE);
        } else {
            /* Reloads read the file again after the daemon has changed
             * to /: a relative path is made absolute now. */
            gchar *absolute = g_canonicalize_filename(config, NULL);
            rc = run_daemon(absolute);
            g_free(absolute);
        }
    }
    g_option_context_free(ctx);
    g_free(opt.config);
    g_strfreev(opt.test_files);
    g_strfreev(opt.rcpts);
    g_strfreev(opt.rest);
    return rc;
}
