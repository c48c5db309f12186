/* cmd_weight.h - handlers of the weighting commands (cmd_weight.c). */
#ifndef WFSTAT_CMD_WEIGHT_H
#define WFSTAT_CMD_WEIGHT_H

#include "cli.h"

int cmd_poststratify(session *s, const cmdline *cl);
int cmd_rake(session *s, const cmdline *cl);
int cmd_calibrate(session *s, const cmdline *cl);
int cmd_trim(session *s, const cmdline *cl);
int cmd_nonresponse(session *s, const cmdline *cl);
int cmd_weights(session *s, const cmdline *cl);

#endif /* WFSTAT_CMD_WEIGHT_H */
