// Handing one `run` request to the runtime server.
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "CAutoAgentLinux.h"
#include "aaf_protocol.h"
#include "message.h"

extern char **environ;

static int connect_to(const char *path, enum aafe_outcome *why) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(address.sun_path)) {
        *why = AAFE_NOT_SERVED;
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *why = AAFE_NOT_SERVED;
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
        *why = (errno == ENOENT || errno == ECONNREFUSED) ? AAFE_NO_SERVER : AAFE_NOT_SERVED;
        close(fd);
        return -1;
    }
    return fd;
}

static int build_request(struct aafe_message *m, const char *cli, int argc, char **argv) {
    if (aafe_message_start(m, AAF_M_RUN) != 0 || aafe_message_add_string(m, AAF_K_CLI, cli) != 0) return -1;
    for (int i = 0; i < argc; i++)
        if (aafe_message_add_string(m, AAF_K_ARG, argv[i]) != 0) return -1;
    char cwd[4096];
    if (getcwd(cwd, sizeof(cwd)) && aafe_message_add_string(m, AAF_K_CWD, cwd) != 0) return -1;
    for (char **e = environ; e && *e; e++)
        if (aafe_message_add_string(m, AAF_K_ENV, *e) != 0) return -1;
    return 0;
}

/// Waits for the server's answer, sending it each forwarded signal.
static enum aafe_outcome await_exit(int sock, int signals, int *exit_code) {
    static unsigned char reply[4096];
    struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = signals, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            if (read(signals, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
                struct aafe_message m;
                char number[16];
                snprintf(number, sizeof(number), "%u", info.ssi_signo);
                if (aafe_message_start(&m, AAF_M_SIGNAL) == 0 && aafe_message_add_string(&m, AAF_K_SIGNAL, number) == 0)
                    aal_send_with_fds(sock, m.data, m.len, NULL, 0);
                aafe_message_free(&m);
            }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            int received[AAF_MAX_FDS], nfds = 0;
            ssize_t n = aal_recv_with_fds(sock, reply, sizeof(reply), received, AAF_MAX_FDS, &nfds);
            for (int i = 0; i < nfds; i++) close(received[i]);
            // A server that closed the connection with our messages unread (it refused the request
            // while stopping) makes one read fail with ECONNRESET before what it sent: read on.
            if (n < 0 && (errno == EMSGSIZE || errno == ECONNRESET)) continue;
            if (n <= 0) break;
            int type = aafe_message_type(reply, (size_t)n);
            if (type == AAF_M_REFUSED) return AAFE_NOT_SERVED;
            if (type == AAF_M_EXIT) {
                *exit_code = (int)aafe_message_number(reply, (size_t)n, AAF_K_STATUS, 125);
                return AAFE_SERVED;
            }
        }
    }
    fprintf(stderr, "aa-sandbox: the sandbox server closed the connection before the command ended\n");
    *exit_code = 125;
    return AAFE_SERVED;
}

enum aafe_outcome aafe_client_run(const char *socket_path, const char *cli, int argc, char **argv, int *exit_code) {
    // A closed standard descriptor travels as /dev/null (opened first, so that it, not the socket,
    // takes the free number).
    int stdio[3];
    for (int fd = 0; fd < 3; fd++)
        stdio[fd] = fcntl(fd, F_GETFD) < 0 ? open("/dev/null", fd == 0 ? O_RDONLY | O_CLOEXEC : O_WRONLY | O_CLOEXEC) : fd;
    enum aafe_outcome outcome = AAFE_NOT_SERVED;
    struct aafe_message request = {0};
    int sock = connect_to(socket_path, &outcome);
    if (sock < 0 || build_request(&request, cli, argc, argv) != 0) {
        if (sock >= 0) outcome = AAFE_NOT_SERVED;
        aafe_message_free(&request);
        if (sock >= 0) close(sock);
        for (int fd = 0; fd < 3; fd++)
            if (stdio[fd] != fd && stdio[fd] >= 0) close(stdio[fd]);
        return outcome;
    }
    sigset_t forwarded, previous;
    sigemptyset(&forwarded);
    sigaddset(&forwarded, SIGINT);
    sigaddset(&forwarded, SIGTERM);
    sigaddset(&forwarded, SIGHUP);
    sigaddset(&forwarded, SIGQUIT);
    sigprocmask(SIG_BLOCK, &forwarded, &previous);
    int signals = signalfd(-1, &forwarded, SFD_CLOEXEC);
    if (signals < 0 || aal_send_with_fds(sock, request.data, request.len, stdio, 3) < 0) {
        outcome = AAFE_NOT_SERVED; // nothing reached the server (EMSGSIZE: too large for the socket)
    } else {
        outcome = await_exit(sock, signals, exit_code);
    }
    if (signals >= 0) close(signals);
    for (int fd = 0; fd < 3; fd++)
        if (stdio[fd] != fd && stdio[fd] >= 0) close(stdio[fd]);
    aafe_message_free(&request);
    close(sock);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    return outcome;
}
