/* SPDX-License-Identifier: MIT */
/* The event type families each provider documents. */
#include "evtypes.h"

#include <stddef.h>
#include <string.h>

static const char *const stripe_families[] = {
    "account",
    "application_fee",
    "balance",
    "billing",
    "billing_portal",
    "capability",
    "cash_balance",
    "charge",
    "checkout",
    "climate",
    "coupon",
    "credit_note",
    "customer",
    "customer_cash_balance_transaction",
    "entitlements",
    "file",
    "financial_connections",
    "identity",
    "invoice",
    "invoiceitem",
    "issuing_authorization",
    "issuing_card",
    "issuing_cardholder",
    "issuing_dispute",
    "issuing_personalization_design",
    "issuing_token",
    "issuing_transaction",
    "mandate",
    "payment_intent",
    "payment_link",
    "payment_method",
    "payout",
    "person",
    "plan",
    "price",
    "product",
    "promotion_code",
    "quote",
    "radar",
    "refund",
    "reporting",
    "review",
    "setup_intent",
    "sigma",
    "source",
    "subscription_schedule",
    "tax",
    "tax_rate",
    "terminal",
    "test_helpers",
    "topup",
    "transfer",
    "treasury",
    NULL};

static const char *const github_families[] = {"branch_protection_configuration",
                                              "branch_protection_rule",
                                              "check_run",
                                              "check_suite",
                                              "code_scanning_alert",
                                              "commit_comment",
                                              "create",
                                              "custom_property",
                                              "custom_property_values",
                                              "delete",
                                              "dependabot_alert",
                                              "deploy_key",
                                              "deployment",
                                              "deployment_protection_rule",
                                              "deployment_review",
                                              "deployment_status",
                                              "discussion",
                                              "discussion_comment",
                                              "fork",
                                              "github_app_authorization",
                                              "gollum",
                                              "installation",
                                              "installation_repositories",
                                              "installation_target",
                                              "issue_comment",
                                              "issues",
                                              "label",
                                              "marketplace_purchase",
                                              "member",
                                              "membership",
                                              "merge_group",
                                              "meta",
                                              "milestone",
                                              "org_block",
                                              "organization",
                                              "package",
                                              "page_build",
                                              "personal_access_token_request",
                                              "ping",
                                              "project",
                                              "project_card",
                                              "project_column",
                                              "projects_v2",
                                              "projects_v2_item",
                                              "public",
                                              "pull_request",
                                              "pull_request_review",
                                              "pull_request_review_comment",
                                              "pull_request_review_thread",
                                              "push",
                                              "registry_package",
                                              "release",
                                              "repository",
                                              "repository_advisory",
                                              "repository_dispatch",
                                              "repository_import",
                                              "repository_ruleset",
                                              "repository_vulnerability_alert",
                                              "secret_scanning_alert",
                                              "secret_scanning_alert_location",
                                              "security_advisory",
                                              "security_and_analysis",
                                              "sponsorship",
                                              "star",
                                              "status",
                                              "team",
                                              "team_add",
                                              "watch",
                                              "workflow_dispatch",
                                              "workflow_job",
                                              "workflow_run",
                                              NULL};

static const char *const shopify_families[] = {
    "app",
    "app_purchases_one_time",
    "app_subscriptions",
    "bulk_operations",
    "carts",
    "checkouts",
    "collection_listings",
    "collections",
    "companies",
    "company_contacts",
    "company_locations",
    "customer_groups",
    "customer_payment_methods",
    "customers",
    "customers_email_marketing_consent",
    "customers_marketing_consent",
    "disputes",
    "domains",
    "draft_orders",
    "fulfillment_events",
    "fulfillment_orders",
    "fulfillments",
    "inventory_items",
    "inventory_levels",
    "locales",
    "locations",
    "markets",
    "metaobjects",
    "order_transactions",
    "orders",
    "payment_schedules",
    "payment_terms",
    "product_listings",
    "products",
    "profiles",
    "refunds",
    "returns",
    "scheduled_product_listings",
    "selling_plan_groups",
    "shop",
    "subscription_billing_attempts",
    "subscription_contracts",
    "tender_transactions",
    "themes",
    NULL};

static const char *const *families_of(const char *profile)
{
    if (!profile)
        return NULL;
    if (strcmp(profile, "stripe") == 0)
        return stripe_families;
    if (strcmp(profile, "github") == 0)
        return github_families;
    if (strcmp(profile, "shopify") == 0)
        return shopify_families;
    return NULL;
}

int hr_evtypes_has_vocabulary(const char *profile)
{
    return families_of(profile) != NULL;
}

int hr_evtypes_handled(const char *profile, const char *type)
{
    const char *const *f = families_of(profile);
    size_t n;

    if (!f)
        return 1;
    if (!type)
        return 0;
    n = strcspn(type, "./");
    for (; *f; f++)
        if (strlen(*f) == n && strncmp(*f, type, n) == 0)
            return 1;
    return 0;
}
