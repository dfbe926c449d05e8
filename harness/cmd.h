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
int cmd_report(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_generate(int argc, char **argv);

struct hr_scenario;
/* Runs a loaded scenario, prints the summary; returns the exit code. */
int hr_cmd_run_scenario(struct hr_scenario *s, int quiet);

#endif
