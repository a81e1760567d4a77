/*
 * otasuke: the admin CLI of otasuke-server.  Everything lives in the otcli
 * library (cli.h) so the unit tests can drive it; this file only sets up
 * libcurl for the process and hands over.
 */
#include <curl/curl.h>
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "otasuke: cannot start libcurl\n");
        return OT_CLI_EXIT_CONNECT;
    }
    int code = ot_cli_main(argc, argv, stdout, stderr);
    curl_global_cleanup();
    return code;
}
