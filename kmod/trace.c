// SPDX-License-Identifier: GPL-2.0
/*
 * kmag's tracepoints (kmag_trace.h; theory statement §15): the one file
 * that creates them. The events are emitted by api.c.
 */
#include "kmag_internal.h"

#define CREATE_TRACE_POINTS
#include "kmag_trace.h"
