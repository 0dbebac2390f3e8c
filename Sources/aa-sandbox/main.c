// aa-sandbox: the front end. `aa-sandbox run …` is handed to the long-lived runtime server
// (aa-sandbox-cli serve) through its socket in the state folder, which saves the Swift start-up and a
// cold runtime per launch; when no server answers, one is started in the background and this request
// runs in the Swift CLI. Everything else (other subcommands, help, errors, AA_SANDBOX_SERVER=0) is an
// exec of aa-sandbox-cli with the same arguments.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aaf_protocol.h"
#include "cli_exec.h"
#include "client.h"
#include "server_start.h"

int main(int argc, char **argv) {
    char cli[PATH_MAX];
    if (aafe_cli_path(cli, sizeof(cli)) != 0) {
        fprintf(stderr, "aa-sandbox: cannot find aa-sandbox-cli next to this executable\n");
        return 127;
    }
    const char *server = getenv(AAF_SERVER_ENV);
    if (argc >= 2 && strcmp(argv[1], "run") == 0 && !(server && strcmp(server, "0") == 0)) {
        const char *state = getenv(AAF_STATE_ENV);
        if (!state || !*state) state = AAF_DEFAULT_STATE;
        char socket_path[PATH_MAX];
        if (snprintf(socket_path, sizeof(socket_path), "%s/%s", state, AAF_SOCKET_NAME) < (int)sizeof(socket_path)) {
            int code = 125;
            switch (aafe_client_run(socket_path, cli, argc - 2, argv + 2, &code)) {
            case AAFE_SERVED:
                return code;
            case AAFE_NO_SERVER:
                if (geteuid() == 0) aafe_start_server(cli, state);
                break;
            case AAFE_NOT_SERVED:
                break;
            }
        }
    }
    aafe_exec_cli(cli, argv);
}
