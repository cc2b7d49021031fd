/* SPDX-License-Identifier: BSD-2-Clause
 * Cohort, a maintained, clean-room fork of the Spread Toolkit.
 *
 * sp_func.h: prototypes of the SP_* entry points. Reach it through sp.h,
 * which defines the types used here; like upstream's, it has no guard.
 */

/* Cohort: explicit one-time initialisation and fork handlers (see
 * SP_init(3); SP_HAVE_INIT). Optional: every entry point runs it. */
int SP_init(void);

int SP_version(int *major_version, int *minor_version, int *patch_version);

int SP_set_auth_method(const char *auth_name,
                       int (*auth_function)(int, void *), void *auth_data);
int SP_set_auth_methods(int num_methods, const char *auth_name[],
                        int (*auth_function[])(int, void *),
                        void *auth_data[]);

int SP_connect(const char *spread_name, const char *private_name,
               int priority, int group_membership, mailbox *mbox,
               char *private_group);
int SP_connect_timeout(const char *spread_name, const char *private_name,
                       int priority, int group_membership, mailbox *mbox,
                       char *private_group, sp_time time_out);

int SP_disconnect(mailbox mbox);
/* Cohort: returns 0, or ILLEGAL_SESSION for an unknown mailbox (upstream
 * declares it void; an int return is source and binary compatible). */
int SP_kill(mailbox mbox);
/* Cohort: release a mailbox for good (see SP_close(3); SP_HAVE_CLOSE). */
int SP_close(mailbox mbox);

int SP_join(mailbox mbox, const char *group);
int SP_leave(mailbox mbox, const char *group);

int SP_multicast(mailbox mbox, service service_type, const char *group,
                 int16 mess_type, int mess_len, const char *mess);
int SP_scat_multicast(mailbox mbox, service service_type, const char *group,
                      int16 mess_type, const scatter *scat_mess);
int SP_multigroup_multicast(mailbox mbox, service service_type,
                            int num_groups,
                            const char groups[][MAX_GROUP_NAME],
                            int16 mess_type, int mess_len, const char *mess);
int SP_multigroup_scat_multicast(mailbox mbox, service service_type,
                                 int num_groups,
                                 const char groups[][MAX_GROUP_NAME],
                                 int16 mess_type, const scatter *scat_mess);

int SP_receive(mailbox mbox, service *service_type,
               char sender[MAX_GROUP_NAME], int max_groups, int *num_groups,
               char groups[][MAX_GROUP_NAME], int16 *mess_type,
               int *endian_mismatch, int max_mess_len, char *mess);
int SP_scat_receive(mailbox mbox, service *service_type,
                    char sender[MAX_GROUP_NAME], int max_groups,
                    int *num_groups, char groups[][MAX_GROUP_NAME],
                    int16 *mess_type, int *endian_mismatch,
                    scatter *scat_mess);

int SP_get_memb_info(const char *memb_mess, const service service_type,
                     membership_info *memb_info);
int SP_get_vs_sets_info(const char *memb_mess, vs_set_info *vs_sets,
                        int num_vs_sets, unsigned int *my_vs_set_index);
int SP_get_vs_set_members(const char *memb_mess, const vs_set_info *vs_set,
                          char member_names[][MAX_GROUP_NAME],
                          int member_names_count);

int SP_scat_get_memb_info(const scatter *memb_mess_scat,
                          const service service_type,
                          membership_info *memb_info);
int SP_scat_get_vs_sets_info(const scatter *memb_mess_scat,
                             vs_set_info *vs_sets, int num_vs_sets,
                             unsigned int *my_vs_set_index);
int SP_scat_get_vs_set_members(const scatter *memb_mess_scat,
                               const vs_set_info *vs_set,
                               char member_names[][MAX_GROUP_NAME],
                               int member_names_count);

int SP_poll(mailbox mbox);
int SP_equal_group_ids(group_id g1, group_id g2);

const char *SP_strerror(int error);
void SP_error(int error);
