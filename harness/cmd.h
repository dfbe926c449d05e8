/* SPDX-License-Identifier: MIT */
/* The CLI's subcommands: each parses its flags and calls the library. */
#ifndef HR_CMD_H
#define HR_CMD_H

/* Each returns the process exit code (enum hr_exit). */
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_target(int argc, char **argv);

#endif
