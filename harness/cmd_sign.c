/* SPDX-License-Identifier: MIT */
/* Placeholder while the sign command is built. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>

int cmd_sign(int argc, char **argv)
{
    fputs("hookreplay: sign: not built yet\n", stderr);
    return HR_EXIT_INTERNAL;
}
