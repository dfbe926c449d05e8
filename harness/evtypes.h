/* SPDX-License-Identifier: MIT */
/*
 * Event type vocabularies: which families of event types a consumer of
 * a provider is written to handle. The reference targets use them to
 * tell a type they have a case for from one the provider added later.
 *
 * A family is the part of a type before its first '.' or '/': "charge"
 * for Stripe's "charge.refunded", "issues" for GitHub's "issues.opened",
 * "orders" for Shopify's "orders/create". The lists hold the families
 * the providers document (for GitHub, those of the bundled payload
 * examples too). Profiles without a list (slack, standard-webhooks,
 * svix, and profiles loaded from files) have no vocabulary: every type
 * counts as handled there.
 */
#ifndef HR_EVTYPES_H
#define HR_EVTYPES_H

/*
 * 1 when a consumer of the provider named profile handles type: its
 * family is in the provider's list, or the provider has no list. A
 * NULL type is handled only where there is no list. profile may be NULL
 * (no list).
 */
int hr_evtypes_handled(const char *profile, const char *type);

/* 1 when the provider named profile has a list, else 0. */
int hr_evtypes_has_vocabulary(const char *profile);

#endif
