/* SPDX-License-Identifier: MIT */
/* Placeholder while the run command is built. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    fputs("hookreplay: run: not built yet\n", stderr);
    return HR_EXIT_INTERNAL;
}
