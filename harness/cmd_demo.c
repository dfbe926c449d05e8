/* SPDX-License-Identifier: MIT */
/* Placeholder while the demo command is built. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>

int cmd_demo(int argc, char **argv)
{
    fputs("hookreplay: demo: not built yet\n", stderr);
    return HR_EXIT_INTERNAL;
}
