/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * client: see client.h.
 */
#include "client.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tc_msg *tc_msg_new(void)
{
    return calloc(1, sizeof(struct tc_msg));
}

void tc_msg_free(struct tc_msg *m)
{
    free(m);
}

int tc_recv(mailbox mb, struct tc_msg *m, int deadline_ms)
{
    struct pollfd pfd = {mb, POLLIN, 0};
    if (poll(&pfd, 1, deadline_ms) <= 0)
        return m->ret = TC_TIMEOUT;
    m->service_type = 0;
    m->ret = SP_receive(mb, &m->service_type, m->sender, TC_MAX_GROUPS,
                        &m->num_groups, m->groups, &m->mess_type,
                        &m->endian_mismatch, TC_MAX_BODY, m->body);
    return m->ret;
}

int tc_expect_memb(mailbox mb, struct tc_msg *m, const char *group,
                   service cause, int n, const char *who)
{
    membership_info info;
    int r = tc_recv(mb, m, 5000);
    if (r < 0) {
        fprintf(stderr, "expected membership of %s, receive gave %d\n", group, r);
        return 0;
    }
    if (!Is_reg_memb_mess(m->service_type) || !(m->service_type & cause) ||
        strcmp(m->sender, group) != 0 || m->num_groups != n) {
        fprintf(stderr, "expected membership of %s cause 0x%x with %d members, "
                        "got service 0x%x from %s with %d groups\n",
                group, cause, n, m->service_type, m->sender, m->num_groups);
        return 0;
    }
    if (who != NULL) {
        if (SP_get_memb_info(m->body, m->service_type, &info) != 1 ||
            strcmp(info.changed_member, who) != 0) {
            fprintf(stderr, "expected %s as changed member, got %s\n", who,
                    info.changed_member);
            return 0;
        }
    }
    return 1;
}

int tc_expect_data(mailbox mb, struct tc_msg *m, const char *sender,
                   const char *body)
{
    int r = tc_recv(mb, m, 5000);
    int len = (int)strlen(body);
    if (r != len || !Is_regular_mess(m->service_type) ||
        strcmp(m->sender, sender) != 0 || memcmp(m->body, body, (size_t)len) != 0) {
        fprintf(stderr, "expected \"%s\" from %s, got ret %d service 0x%x from %s\n",
                body, sender, r, m->service_type, r >= 0 ? m->sender : "-");
        return 0;
    }
    return 1;
}

int tc_quiet(mailbox mb, int ms)
{
    struct pollfd pfd = {mb, POLLIN, 0};
    return poll(&pfd, 1, ms) == 0;
}
