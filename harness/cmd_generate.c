/* SPDX-License-Identifier: MIT */
/* `hookreplay generate`: synthetic provider histories as cassettes. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>

int cmd_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("hookreplay generate: not built yet\n", stderr);
    return HR_EXIT_INPUT;
}
