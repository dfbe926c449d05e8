/* SPDX-License-Identifier: MIT */
/* Placeholder while the target command is built. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>

int cmd_target(int argc, char **argv)
{
    fputs("hookreplay: target: not built yet\n", stderr);
    return HR_EXIT_INTERNAL;
}
