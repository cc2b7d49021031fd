/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * flow: flow-control arithmetic of the token ring (see flow.h).
 */
#include "config.h"
#include "flow.h"

void flow_params_default(struct flow_params *p)
{
    p->window = FLOW_WINDOW;
    p->personal_window = FLOW_PERSONAL_WINDOW;
    p->accel_window = FLOW_ACCEL_WINDOW;
    p->max_gap = FLOW_MAX_GAP;
}

unsigned flow_allowed(const struct flow_params *p, unsigned token_fc,
                      uint32_t highest_seq, uint32_t global_aru, int in_evs)
{
    unsigned n, room;

    if (in_evs)
        return 0;
    /* A long unstable tail means some member lags: stop adding to it
     * until stability catches up (this also keeps the tail far inside
     * the 8192-slot packet window). */
    if (highest_seq > global_aru && highest_seq - global_aru > p->max_gap)
        return 0;
    n = p->window < p->personal_window ? p->window : p->personal_window;
    room = p->window + p->personal_window;
    if (token_fc >= room)
        return 0;
    room -= token_fc;
    return room < n ? room : n;
}

unsigned flow_update(unsigned token_fc, unsigned sent_prev_turn,
                     unsigned sent_now)
{
    unsigned fc = token_fc > sent_prev_turn ? token_fc - sent_prev_turn : 0;

    fc += sent_now;
    return fc > FLOW_FC_MAX ? FLOW_FC_MAX : fc;
}

unsigned flow_after_token(const struct flow_params *p, unsigned n_new,
                          int accelerated, int in_evs)
{
    if (!accelerated || in_evs)
        return 0;
    return n_new < p->accel_window ? n_new : p->accel_window;
}
