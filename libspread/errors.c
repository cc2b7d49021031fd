/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * errors: the small entry points without a session: SP_strerror and
 * SP_error (their texts are fixed because programs print and match them),
 * SP_version, and the two query functions upstream exports without ever
 * implementing.
 */
#include "config.h"

#include "lib.h"

#include <stdio.h>

static const char unknown_error[] = "Unrecognized error.";

/* Indexed by -code, for ILLEGAL_SPREAD (-1) .. ILLEGAL_TIME (-20). */
static const char *const error_text[] = {
    NULL,
    "Illegal spread name provided.",
    "Could not connect.",
    "Connection rejected, too many users.",
    "Connection rejected, no name was supplied.",
    "Connection rejected, illegal name.",
    "Connection rejected, name not unique.",
    "Connection rejected, client library incompatible with daemon.",
    "Connection closed by Spread.",
    "Connection rejected, authentication failed.",
    NULL,
    "Illegal session was supplied.",
    "Illegal service request.",
    "Illegal message.",
    "Illegal group.",
    "Buffer too short.",
    "Groups list too short.",
    "Message (body + group names) too large.",
    "Network socket error. SP_kill() the mailbox.",
    "Internal Spread bug detected.",
    "Illegal time.",
};

#define N_ERROR_TEXT ((int)(sizeof error_text / sizeof error_text[0]))

const char *SP_strerror(int error)
{
    if (error >= 0 || error <= -N_ERROR_TEXT || error_text[-error] == NULL)
        return unknown_error;
    return error_text[-error];
}

void SP_error(int error)
{
    printf("SP_error: (%d) %s\n", error, SP_strerror(error));
}

int SP_version(int *major_version, int *minor_version, int *patch_version)
{
    if (major_version == NULL || minor_version == NULL ||
        patch_version == NULL)
        return 0;
    *major_version = SPW_VERSION_MAJOR;
    *minor_version = SPW_VERSION_MINOR;
    *patch_version = SPW_VERSION_PATCH;
    return 1;
}

/* Exported for binary compatibility only; not declared in any header. */
int SP_query_groups(mailbox mbox, int max_groups, char *groups[]);
int SP_query_members(mailbox mbox, char *group, int max_members,
                     char *members[]);

int SP_query_groups(mailbox mbox, int max_groups, char *groups[])
{
    (void)mbox;
    (void)max_groups;
    (void)groups;
    return -1;
}

int SP_query_members(mailbox mbox, char *group, int max_members,
                     char *members[])
{
    (void)mbox;
    (void)group;
    (void)max_members;
    (void)members;
    return -1;
}
