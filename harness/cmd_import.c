/* SPDX-License-Identifier: MIT */
/* Placeholder while the import command is built. */
#include "cmd.h"
#include "util.h"

#include <stdio.h>

int cmd_import(int argc, char **argv)
{
    fputs("hookreplay: import: not built yet\n", stderr);
    return HR_EXIT_INTERNAL;
}
