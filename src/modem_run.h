/* --protocol: one XMODEM or YMODEM transfer, sending or receiving files over a serial line
 * or standard input and output, with its summary and statistics. */
#ifndef TP_MODEM_RUN_H
#define TP_MODEM_RUN_H

#include "cli.h"

/* Runs it and returns the exit status: 0; 1 (a failure, said in one line); 2 (a usage
 * error found only now, said); 128 + the signal. */
int tp_modem_run(const struct tp_options *opts);

#endif
