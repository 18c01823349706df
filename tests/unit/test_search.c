/*
 * Tests of the saved-search compiler (shm/hrx_search.c) against a real
 * SQLite: the candidates, candidate_labels and interviews tables of
 * migration 2 (scheduler/schema.c) in memory, 48 candidates of tenant 1
 * and 2 of tenant 2, and for every field, operator, shorthand and a set of
 * combinations the exact ids that
 *   SELECT c.id FROM candidates c WHERE c.tenant_id = ? AND (<fragment>)
 * returns; then every validation error with its path and code, injection
 * attempts, limits, hrx_regexp() and the RFC 3339 parser.
 *
 * The seed rows follow simple rules (status = statuses[id % 7], email NULL
 * when id % 11 == 0, ...) with a few rows changed by hand for edge cases
 * (mixed-case email, '%' and '_' in a name, an empty school, a string
 * "5" among numeric scores, a row for the catastrophic regex).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hrx_resource.h"    /* hrx_sql_operate(), for the plans */
#include "hrx_search.h"
#include "schema.h"      /* the real migrations, linked in */

#define TENANT        1
#define TENANT_ROWS   48

#define SEED_INSERT                                                           \
    "INSERT INTO candidates (id, tenant_id, family_name, given_name,"         \
    " family_name_kana, given_name_kana, email, phone, country,"             \
    " graduation_year, school, status, candidate_group_id, owner_id, route," \
    " agent_id, job_opening_id, custom_fields, line_user_id, opted_out,"     \
    " created_at, updated_at) VALUES "

/*
 * (id, tenant, family, given, family kana, given kana, email, phone,
 *  country, graduation year, school, status, group, owner, route, agent,
 *  job, custom fields, LINE user, opted out, created ms, updated ms);
 *  created = 2026-01-01Z + id days, updated = created + id hours
 */
static const char *const seed_candidates[] = {
    "(1, 1, '山田', 'Given01', 'ヤマダ', NULL, 'user01@example.com',"
    " '+819000000001', 'JP', 2025, 'Kyoto University', 'screening', 2, 7,"
    " 'direct', NULL, 100, '{\"city\":\"\"}', NULL, 0, 1767312000000,"
    " 1767315600000)",
    "(2, 1, 'Family02', 'Given02', NULL, NULL, 'user02@example.com', NULL,"
    " 'JP', 2026, NULL, 'interview', NULL, NULL, 'direct', NULL, 100,"
    " '{\"score\":2,\"remote\":false,\"city\":\"Nagoya\",\"rating\":4.5}',"
    " NULL, 0, 1767398400000, 1767405600000)",
    "(3, 1, 'Family03', 'Given03', NULL, NULL, 'user03@example.jp',"
    " '+819000000003', 'JP', 2027, 'Tokyo University', 'offer', NULL, 7,"
    " 'direct', NULL, 100, '{\"score\":5,\"remote\":1}', 'U03', 0,"
    " 1767484800000, 1767495600000)",
    "(4, 1, 'Family04', 'Given04', NULL, NULL, 'user04@example.com', NULL,"
    " 'JP', 2024, 'Kyoto University', 'hired', 1, NULL, 'direct', NULL, 100,"
    " '{\"score\":4,\"remote\":true,\"city\":\"Osaka\",\"rating\":3.25}',"
    " NULL, 0, 1767571200000, 1767585600000)",
    "(5, 1, 'Family05', 'Given05', NULL, NULL, 'MiXeD@Example.COM',"
    " '+819000000005', 'JP', 2025, NULL, 'rejected', 2, 7, 'agent', 2, 100,"
    " '{}', NULL, 0, 1767657600000, 1767675600000)",
    "(6, 1, 'Family06', 'Given06', NULL, NULL, 'user06@example.com', NULL,"
    " 'JP', 2026, 'Tokyo University', 'withdrawn', NULL, NULL, 'direct', NULL,"
    " 100, '{\"score\":6,\"remote\":false,\"city\":\"Tokyo\"}', 'U06', 1,"
    " 1767744000000, 1767765600000)",
    "(7, 1, 'Family07', 'Given07', NULL, NULL, 'user07@example.com',"
    " '+819000000007', 'JP', 2027, 'Kyoto University', 'applied', NULL, 7,"
    " 'direct', NULL, 100, '{}', NULL, 0, 1767830400000, 1767855600000)",
    "(8, 1, 'Family08', 'Given08', NULL, NULL, 'user08@example.com', NULL,"
    " 'FR', 2024, NULL, 'screening', 1, NULL, 'direct', NULL, 100,"
    " '{\"score\":8,\"remote\":true,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1767916800000, 1767945600000)",
    "(9, 1, 'Family09', NULL, NULL, NULL, 'user09@example.com',"
    " '+819000000009', 'JP', 2025, 'Tokyo University', 'interview', 2, 7,"
    " 'direct', NULL, 100, '{}', 'U09', 0, 1768003200000, 1768035600000)",
    "(10, 1, 'Family10', 'Given10', NULL, NULL, 'user10@example.jp', NULL,"
    " 'JP', NULL, 'Kyoto University', 'offer', NULL, NULL, 'agent', 1, 100,"
    " '{\"score\":10,\"remote\":false,\"city\":\"Osaka\"}', NULL, 0,"
    " 1768089600000, 1768125600000)",
    "(11, 1, 'Family11', 'Given11', NULL, NULL, NULL, '+819000000011', 'JP',"
    " 2027, NULL, 'hired', NULL, 7, 'direct', NULL, NULL, '{}', NULL, 0,"
    " 1768176000000, 1768215600000)",
    "(12, 1, 'Family12', 'Given12', NULL, NULL, 'user12@example.com', NULL,"
    " 'JP', 2024, 'Tokyo University', 'rejected', 1, NULL, 'direct', NULL,"
    " NULL, '{\"score\":12,\"remote\":true,\"city\":\"Tokyo\"}', 'U12', 1,"
    " 1768262400000, 1768305600000)",
    "(13, 1, '田中', 'Given13', 'タナカ', NULL, 'user13@example.com',"
    " '+819000000013', 'JP', 2025, 'Kyoto University', 'withdrawn', 2, 7,"
    " 'direct', NULL, NULL, '{}', NULL, 0, 1768348800000, 1768395600000)",
    "(14, 1, 'Sale 100%_off', 'Given14', NULL, NULL, 'user14@example.com',"
    " NULL, 'JP', 2026, NULL, 'applied', NULL, NULL, 'direct', NULL, NULL,"
    " '{\"score\":14,\"remote\":false,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1768435200000, 1768485600000)",
    "(15, 1, 'Plain 100 off', 'Given15', NULL, NULL, 'user15@example.com',"
    " '+819000000015', 'JP', 2027, 'Tokyo University', 'screening', NULL, 7,"
    " 'agent', 2, NULL, '{}', 'U15', 0, 1768521600000, 1768575600000)",
    "(16, 1, 'Family16', 'Given16', NULL, NULL, 'user16@example.com', NULL,"
    " 'FR', 2024, 'Kyoto University', 'interview', 1, NULL, 'direct', NULL,"
    " NULL, '{\"score\":16,\"remote\":true,\"city\":\"Osaka\"}', NULL, 0,"
    " 1768608000000, 1768665600000)",
    "(17, 1, 'Family17', 'Given17', NULL, NULL, 'user17@example.jp',"
    " '+819000000017', 'JP', 2025, NULL, 'offer', 2, 7, 'direct', NULL, NULL,"
    " '{}', NULL, 0, 1768694400000, 1768755600000)",
    "(18, 1, 'Family18', NULL, NULL, NULL, 'user18@other.org', NULL, 'JP',"
    " 2026, 'Tokyo University', 'hired', NULL, NULL, 'direct', NULL, NULL,"
    " '{\"score\":18,\"remote\":false,\"city\":\"Tokyo\"}', 'U18', 1,"
    " 1768780800000, 1768845600000)",
    "(19, 1, 'Family19', 'Given19', NULL, NULL, 'user19@example.com',"
    " '+819000000019', 'JP', 2027, 'Kyoto University', 'rejected', NULL, 7,"
    " 'direct', NULL, NULL, '{}', NULL, 0, 1768867200000, 1768935600000)",
    "(20, 1, 'Family20', 'Given20', NULL, NULL, 'user20@example.com', NULL,"
    " 'JP', NULL, NULL, 'withdrawn', 1, NULL, 'agent', 1, NULL,"
    " '{\"score\":20,\"remote\":true,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1768953600000, 1769025600000)",
    "(21, 1, 'Family21', 'Given21', NULL, NULL, 'user21@example.com',"
    " '+819000000021', 'JP', 2025, 'Tokyo University', 'applied', 2, 7,"
    " 'direct', NULL, NULL, '{}', 'U21', 0, 1769040000000, 1769115600000)",
    "(22, 1, 'Family22', 'Given22', NULL, NULL, NULL, NULL, 'JP', 2026,"
    " 'Kyoto University', 'screening', NULL, NULL, 'direct', NULL, NULL,"
    " '{\"score\":22,\"remote\":false,\"city\":\"Osaka\"}', NULL, 0,"
    " 1769126400000, 1769205600000)",
    "(23, 1, 'Family23', 'Given23', NULL, NULL, 'user23@example.com',"
    " '+819000000023', 'JP', 2027, NULL, 'interview', NULL, 7, 'direct', NULL,"
    " NULL, '{}', NULL, 0, 1769212800000, 1769295600000)",
    "(24, 1, 'Family24', 'Given24', NULL, NULL, 'user24@example.jp', NULL,"
    " 'FR', 2024, 'Tokyo University', 'offer', 1, NULL, 'direct', NULL, NULL,"
    " '{\"score\":24,\"remote\":true,\"city\":\"Tokyo\"}', 'U24', 1,"
    " 1769299200000, 1769385600000)",
    "(25, 1, '佐藤', 'Given25', 'サトウ', NULL, 'user25@example.com',"
    " '+819000000025', 'JP', 2025, 'Kyoto University', 'hired', 2, 7, 'agent',"
    " 2, NULL, '{}', NULL, 0, 1769385600000, 1769475600000)",
    "(26, 1, 'Family26', 'Given26', NULL, NULL, 'user26@example.com', NULL,"
    " 'JP', 2026, NULL, 'rejected', NULL, NULL, 'direct', NULL, NULL,"
    " '{\"score\":26,\"remote\":false,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1769472000000, 1769565600000)",
    "(27, 1, 'Family27', NULL, NULL, NULL, 'user27@example.com',"
    " '+819000000027', 'JP', 2027, 'Tokyo University', 'withdrawn', NULL, 7,"
    " 'direct', NULL, NULL, '{}', 'U27', 0, 1769558400000, 1769655600000)",
    "(28, 1, 'Family28', 'Given28', NULL, NULL, 'user28@example.com', NULL,"
    " 'JP', 2024, 'Kyoto University', 'applied', 1, NULL, 'direct', NULL,"
    " NULL, '{\"score\":28,\"remote\":true,\"city\":\"Osaka\"}', NULL, 0,"
    " 1769644800000, 1769745600000)",
    "(29, 1, 'Family29', 'Given29', NULL, NULL, 'user29@example.com',"
    " '+819000000029', 'JP', 2025, NULL, 'screening', 2, 7, 'direct', NULL,"
    " NULL, '{}', NULL, 0, 1769731200000, 1769835600000)",
    "(30, 1, 'Family30', 'Given30', NULL, NULL, 'user30@example.com', NULL,"
    " 'JP', NULL, 'Tokyo University', 'interview', NULL, NULL, 'agent', 1,"
    " NULL, '{\"score\":30,\"remote\":false,\"city\":\"Tokyo\"}', 'U30', 1,"
    " 1769817600000, 1769925600000)",
    "(31, 1, 'Family31', 'Given31', NULL, NULL, 'user31@example.jp',"
    " '+819000000031', 'JP', 2027, 'Kyoto University', 'offer', NULL, 7,"
    " 'direct', NULL, NULL, '{}', NULL, 0, 1769904000000, 1770015600000)",
    "(32, 1, 'Family32', 'Given32', NULL, NULL, 'user32@example.com', NULL,"
    " 'FR', 2024, NULL, 'hired', 1, NULL, 'direct', NULL, NULL,"
    " '{\"score\":32,\"remote\":true,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1769990400000, 1770105600000)",
    "(33, 1, 'Family33', 'Given33', NULL, NULL, NULL, '+819000000033', 'JP',"
    " 2025, 'Tokyo University', 'rejected', 2, 7, 'direct', NULL, NULL, '{}',"
    " 'U33', 0, 1770076800000, 1770195600000)",
    "(34, 1, 'Family34', 'Given34', NULL, NULL, 'user34@example.com', NULL,"
    " 'JP', 2026, 'Kyoto University', 'withdrawn', NULL, NULL, 'direct', NULL,"
    " NULL, '{\"score\":34,\"remote\":false,\"city\":\"Osaka\"}', NULL, 0,"
    " 1770163200000, 1770285600000)",
    "(35, 1, 'Family35', 'Given35', NULL, NULL, 'user35@example.com',"
    " '+819000000035', 'JP', 2027, NULL, 'applied', NULL, 7, 'agent', 2, NULL,"
    " '{}', NULL, 0, 1770249600000, 1770375600000)",
    "(36, 1, 'Family36', NULL, NULL, NULL, 'user36@example.com', NULL, 'JP',"
    " 2024, 'Tokyo University', 'screening', 1, NULL, 'direct', NULL, NULL,"
    " '{\"score\":36,\"remote\":true,\"city\":\"Tokyo\"}', 'U36', 1,"
    " 1770336000000, 1770465600000)",
    "(37, 1, '鈴木', 'Given37', 'スズキ', NULL, 'user37@example.com',"
    " '+819000000037', 'JP', 2025, 'Kyoto University', 'interview', 2, 7,"
    " 'direct', NULL, NULL, '{}', NULL, 0, 1770422400000, 1770555600000)",
    "(38, 1, 'Family38', 'Given38', NULL, NULL, 'user38@example.jp', NULL,"
    " 'JP', 2026, NULL, 'offer', NULL, NULL, 'direct', NULL, NULL,"
    " '{\"score\":38,\"remote\":false,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1770508800000, 1770645600000)",
    "(39, 1, 'Family39', 'Given39', NULL, NULL, 'user39@example.com',"
    " '+819000000039', 'JP', 2027, 'Tokyo University', 'hired', NULL, 7,"
    " 'direct', NULL, NULL, '{}', 'U39', 0, 1770595200000, 1770735600000)",
    "(40, 1, 'Family40', 'Given40', NULL, NULL, 'user40@example.com', NULL,"
    " 'FR', NULL, 'Kyoto University', 'rejected', 1, NULL, 'agent', 1, NULL,"
    " '{\"score\":40,\"remote\":true,\"city\":\"Osaka\"}', NULL, 0,"
    " 1770681600000, 1770825600000)",
    "(41, 1, 'Family41', 'Given41', NULL, NULL, 'user41@example.com',"
    " '+819000000041', 'JP', 2025, NULL, 'withdrawn', 2, 7, 'direct', NULL,"
    " NULL, '{}', NULL, 0, 1770768000000, 1770915600000)",
    "(42, 1, 'Family42', 'Given42', NULL, NULL, 'user42@example.com', NULL,"
    " 'JP', 2026, 'Tokyo University', 'applied', NULL, NULL, 'direct', NULL,"
    " NULL, '{\"score\":42,\"remote\":false,\"city\":\"Tokyo\"}', 'U42', 1,"
    " 1770854400000, 1771005600000)",
    "(43, 1, 'Family43', 'Given43', NULL, NULL, 'user43@example.com',"
    " '+819000000043', 'JP', 2027, 'Kyoto University', 'screening', NULL, 7,"
    " 'direct', NULL, NULL, '{}', NULL, 0, 1770940800000, 1771095600000)",
    "(44, 1, 'Family44', 'Given44', NULL, NULL, NULL, NULL, 'JP', 2024, NULL,"
    " 'interview', 1, NULL, 'direct', NULL, NULL, '{\"score\":44,"
    "\"remote\":true,\"city\":\"Nagoya\"}', NULL, 0, 1771027200000,"
    " 1771185600000)",
    "(45, 1, 'Family45', NULL, NULL, NULL, 'user45@example.jp',"
    " '+819000000045', 'JP', 2025, 'Tokyo University', 'offer', 2, 7, 'agent',"
    " 2, NULL, '{\"score\":\"5\",\"city\":\"Tokyo\"}', 'U45', 0,"
    " 1771113600000, 1771275600000)",
    "(46, 1, 'Family46', 'Given46', NULL, NULL, 'user46@example.com', NULL,"
    " 'JP', 2026, 'Kyoto University', 'hired', NULL, NULL, 'direct', NULL,"
    " NULL, '{\"score\":46,\"remote\":false,\"city\":\"Osaka\"}', NULL, 0,"
    " 1771200000000, 1771365600000)",
    "(47, 1, 'Family47', 'Given47', NULL, NULL, 'user47@example.com',"
    " '+819000000047', 'JP', 2027, '', 'rejected', NULL, 7, 'direct', NULL,"
    " NULL, '{}', NULL, 0, 1771286400000, 1771455600000)",
    "(48, 1, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab', 'Given48', NULL, NULL,"
    " 'user48@example.com', NULL, 'FR', 2024, 'Tokyo University', 'withdrawn',"
    " 1, NULL, 'direct', NULL, NULL, '{\"score\":48,\"remote\":true,"
    "\"city\":\"Tokyo\"}', 'U48', 1, 1771372800000, 1771545600000)",
    "(49, 2, 'Other tenant', 'Given49', 'ヤマダ', NULL, 'user49@example.com',"
    " '+819000000049', 'JP', 2025, 'Kyoto University', 'applied', 2, 7,"
    " 'direct', NULL, NULL, '{}', NULL, 0, 1771459200000, 1771635600000)",
    "(50, 2, 'Family50', 'Given50', NULL, NULL, 'user50@example.com', NULL,"
    " 'JP', NULL, NULL, 'screening', NULL, NULL, 'agent', 1, NULL,"
    " '{\"score\":50,\"remote\":false,\"city\":\"Nagoya\"}', NULL, 0,"
    " 1771545600000, 1771725600000)",
};

/* (candidate_id, label_id, labeled_at): label 12 on every 7th, 13 on 1-3 */
static const char *const seed_labels[] = {
    "(7, 12, 0)", "(14, 12, 0)", "(21, 12, 0)", "(28, 12, 0)", "(35, 12, 0)",
    "(42, 12, 0)", "(49, 12, 0)", "(1, 13, 0)", "(2, 13, 0)", "(3, 13, 0)",
    "(49, 13, 0)",
};

/* (tenant_id, candidate_id, starts_at, created_at, updated_at) */
static const char *const seed_interviews[] = {
    "(1, 2, 1772409600000, 0, 0)",
    "(1, 4, 1772496000000, 0, 0)",
    "(1, 4, 1772582400000, 0, 0)",
    "(1, 6, 1772668800000, 0, 0)",
    "(1, 8, 1768089600000, 0, 0)",
    "(2, 50, 1767225600000, 0, 0)",
};

/*
 * Conditions (JSON with ' for ") and the ids of tenant 1 they select.
 * The expected lists were derived from the seed rules, not from running
 * the code.
 */
typedef struct {
    const char  *cond;
    const char  *ids;
} search_case_t;

static const search_case_t cases[] = {
    { "{'field':'status','op':'eq','value':'offer'}",
      "3,10,17,24,31,38,45" },
    { "{'field':'status','op':'ne','value':'applied'}",
      "1,2,3,4,5,6,8,9,10,11,12,13,15,16,17,18,19,20,22,23,24,25,26,27,29,"
      "30,31,32,33,34,36,37,38,39,40,41,43,44,45,46,47,48" },
    { "{'field':'status','op':'in','value':['applied','screening']}",
      "1,7,8,14,15,21,22,28,29,35,36,42,43" },
    { "{'field':'email','op':'eq','value':'mixed@example.com'}",
      "5" },
    { "{'field':'email','op':'ne','value':'user01@example.com'}",
      "2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
      "27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48" },
    { "{'field':'email','op':'in','value':['MIXED@EXAMPLE.COM',"
      "'user02@example.com']}",
      "2,5" },
    { "{'field':'email','op':'contains','value':'EXAMPLE.JP'}",
      "3,10,17,24,31,38,45" },
    { "{'field':'email','op':'regex','value':'@example\\\\.(com|jp)$'}",
      "1,2,3,4,6,7,8,9,10,12,13,14,15,16,17,19,20,21,23,24,25,26,27,28,29,"
      "30,31,32,34,35,36,37,38,39,40,41,42,43,45,46,47,48" },
    { "{'field':'email','op':'regex','value':'(?i)@EXAMPLE\\\\.com$'}",
      "1,2,4,5,6,7,8,9,12,13,14,15,16,19,20,21,23,25,26,27,28,29,30,32,34,"
      "35,36,37,39,40,41,42,43,46,47,48" },
    { "{'field':'email','op':'exists','value':false}",
      "11,22,33,44" },
    { "{'field':'school','op':'exists','value':true}",
      "1,3,4,6,7,9,10,12,13,15,16,18,19,21,22,24,25,27,28,30,31,33,34,36,"
      "37,39,40,42,43,45,46,48" },
    { "{'field':'school','op':'exists','value':false}",
      "2,5,8,11,14,17,20,23,26,29,32,35,38,41,44,47" },
    { "{'field':'school','op':'ne','value':'Tokyo University'}",
      "1,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23,25,26,28,29,31,32,34,35,"
      "37,38,40,41,43,44,46,47" },
    { "{'field':'school','op':'eq','value':''}",
      "47" },
    { "{'field':'family_name','op':'contains','value':'田'}",
      "1,13" },
    { "{'field':'family_name_kana','op':'eq','value':'ヤマダ'}",
      "1" },
    { "{'field':'family_name_kana','op':'exists','value':true}",
      "1,13,25,37" },
    { "{'field':'family_name','op':'contains','value':'%'}",
      "14" },
    { "{'field':'family_name','op':'contains','value':'_'}",
      "14" },
    { "{'field':'family_name','op':'contains','value':'100%_OFF'}",
      "14" },
    { "{'field':'given_name','op':'exists','value':false}",
      "9,18,27,36,45" },
    { "{'field':'given_name_kana','op':'exists','value':false}",
      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
      "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,"
      "48" },
    { "{'field':'given_name','op':'regex','value':'^Given0[1-4]$'}",
      "1,2,3,4" },
    { "{'field':'phone','op':'exists','value':false}",
      "2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,"
      "48" },
    { "{'field':'phone','op':'contains','value':'+819000000'}",
      "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47" },
    { "{'field':'country','op':'in','value':['FR']}",
      "8,16,24,32,40,48" },
    { "{'field':'route','op':'eq','value':'agent'}",
      "5,10,15,20,25,30,35,40,45" },
    { "{'field':'route','op':'ne','value':'agent'}",
      "1,2,3,4,6,7,8,9,11,12,13,14,16,17,18,19,21,22,23,24,26,27,28,29,31,"
      "32,33,34,36,37,38,39,41,42,43,44,46,47,48" },
    { "{'field':'graduation_year','op':'eq','value':2026}",
      "2,6,14,18,22,26,34,38,42,46" },
    { "{'field':'graduation_year','op':'ne','value':2026}",
      "1,3,4,5,7,8,9,10,11,12,13,15,16,17,19,20,21,23,24,25,27,28,29,30,"
      "31,32,33,35,36,37,39,40,41,43,44,45,47,48" },
    { "{'field':'graduation_year','op':'in','value':[2024,2027]}",
      "3,4,7,8,11,12,15,16,19,23,24,27,28,31,32,35,36,39,43,44,47,48" },
    { "{'field':'graduation_year','op':'range','value':[2025,2026]}",
      "1,2,5,6,9,13,14,17,18,21,22,25,26,29,33,34,37,38,41,42,45,46" },
    { "{'field':'graduation_year','op':'range','value':[2026,null]}",
      "2,3,6,7,11,14,15,18,19,22,23,26,27,31,34,35,38,39,42,43,46,47" },
    { "{'field':'graduation_year','op':'range','value':[null,2024]}",
      "4,8,12,16,24,28,32,36,44,48" },
    { "{'field':'graduation_year','op':'range','value':[2026,2026]}",
      "2,6,14,18,22,26,34,38,42,46" },
    { "{'field':'graduation_year','op':'exists','value':false}",
      "10,20,30,40" },
    { "{'field':'candidate_group_id','op':'eq','value':1}",
      "4,8,12,16,20,24,28,32,36,40,44,48" },
    { "{'field':'candidate_group_id','op':'ne','value':1}",
      "1,2,3,5,6,7,9,10,11,13,14,15,17,18,19,21,22,23,25,26,27,29,30,31,"
      "33,34,35,37,38,39,41,42,43,45,46,47" },
    { "{'field':'candidate_group_id','op':'exists','value':false}",
      "2,3,6,7,10,11,14,15,18,19,22,23,26,27,30,31,34,35,38,39,42,43,46,"
      "47" },
    { "{'field':'owner_id','op':'in','value':[7,8]}",
      "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47" },
    { "{'field':'owner_id','op':'exists','value':true}",
      "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,45,47" },
    { "{'field':'agent_id','op':'eq','value':1}",
      "10,20,30,40" },
    { "{'field':'agent_id','op':'range','value':[2,null]}",
      "5,15,25,35,45" },
    { "{'field':'job_opening_id','op':'exists','value':true}",
      "1,2,3,4,5,6,7,8,9,10" },
    { "{'field':'opted_out','op':'eq','value':true}",
      "6,12,18,24,30,36,42,48" },
    { "{'field':'opted_out','op':'ne','value':true}",
      "1,2,3,4,5,7,8,9,10,11,13,14,15,16,17,19,20,21,22,23,25,26,27,28,29,"
      "31,32,33,34,35,37,38,39,40,41,43,44,45,46,47" },
    { "{'field':'opted_out','op':'eq','value':false}",
      "1,2,3,4,5,7,8,9,10,11,13,14,15,16,17,19,20,21,22,23,25,26,27,28,29,"
      "31,32,33,34,35,37,38,39,40,41,43,44,45,46,47" },
    { "{'field':'created_at','op':'range','value':['2026-01-10T00:00:00Z',"
      "'2026-01-15T00:00:00+00:00']}",
      "9,10,11,12,13,14" },
    { "{'field':'created_at','op':'range',"
      "'value':['2026-01-10T09:00:00+09:00',null]}",
      "9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"
      "31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48" },
    { "{'field':'created_at','op':'range','value':[null,"
      "'2026-01-03T00:00:00.000Z']}",
      "1,2" },
    { "{'field':'created_at','op':'range','value':[null,"
      "'2026-01-02T23:59:59.999Z']}",
      "1" },
    /* candidate 20 was updated at 2026-01-21T20:00:00Z */
    { "{'field':'updated_at','op':'eq','value':'2026-01-21T19:00:00-01:00'}",
      "20" },
    { "{'field':'updated_at','op':'eq','value':'2026-01-21T20:00:00-01:00'}",
      "" },
    { "{'field':'updated_at','op':'in','value':['2026-01-02T01:00:00Z',"
      "'2026-01-03T02:00:00Z','2026-01-03T03:00:00Z']}",
      "1,2" },
    { "{'field':'updated_at','op':'ne','value':'2026-01-02T01:00:00Z'}",
      "2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
      "27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48" },
    { "{'field':'custom.city','op':'eq','value':'Tokyo'}",
      "6,12,18,24,30,36,42,45,48" },
    { "{'field':'custom.city','op':'ne','value':'Tokyo'}",
      "1,2,3,4,5,7,8,9,10,11,13,14,15,16,17,19,20,21,22,23,25,26,27,28,29,"
      "31,32,33,34,35,37,38,39,40,41,43,44,46,47" },
    { "{'field':'custom.city','op':'in','value':['Osaka','Nagoya']}",
      "2,4,8,10,14,16,20,22,26,28,32,34,38,40,44,46" },
    { "{'field':'custom.city','op':'exists','value':true}",
      "2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,45,"
      "46,48" },
    { "{'field':'custom.city','op':'exists','value':false}",
      "1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39,41,43,47" },
    { "{'field':'custom.city','op':'contains','value':'OSA'}",
      "4,10,16,22,28,34,40,46" },
    { "{'field':'custom.city','op':'regex','value':'^T'}",
      "6,12,18,24,30,36,42,45,48" },
    { "{'field':'custom.score','op':'range','value':[10,20]}",
      "10,12,14,16,18,20" },
    { "{'field':'custom.score','op':'range','value':[39.5,null]}",
      "40,42,44,46,48" },
    { "{'field':'custom.score','op':'eq','value':5}",
      "3" },
    { "{'field':'custom.score','op':'eq','value':'5'}",
      "45" },
    { "{'field':'custom.score','op':'in','value':[4,8,'5']}",
      "4,8,45" },
    { "{'field':'custom.score','op':'ne','value':4}",
      "1,2,3,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
      "27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48" },
    { "{'field':'custom.score','op':'regex','value':'^4'}",
      "4,40,42,44,46,48" },
    { "{'field':'custom.remote','op':'eq','value':true}",
      "4,8,12,16,20,24,28,32,36,40,44,48" },
    { "{'field':'custom.remote','op':'eq','value':false}",
      "2,6,10,14,18,22,26,30,34,38,42,46" },
    { "{'field':'custom.remote','op':'ne','value':true}",
      "1,2,3,5,6,7,9,10,11,13,14,15,17,18,19,21,22,23,25,26,27,29,30,31,"
      "33,34,35,37,38,39,41,42,43,45,46,47" },
    { "{'field':'custom.remote','op':'eq','value':1}",
      "3,4,8,12,16,20,24,28,32,36,40,44,48" },
    { "{'field':'custom.rating','op':'range','value':[4.0,null]}",
      "2" },
    { "{'field':'custom.rating','op':'eq','value':3.25}",
      "4" },
    { "{'field':'custom.city','op':'range','value':['N','Q']}",
      "2,4,8,10,14,16,20,22,26,28,32,34,38,40,44,46" },
    { "{'field':'custom.city','op':'range','value':[null,'Osaka']}",
      "1,2,4,8,10,14,16,20,22,26,28,32,34,38,40,44,46" },
    { "{'field':'custom.score','op':'range','value':[null,6]}",
      "2,3,4,6" },
    { "{'field':'custom.remote','op':'range','value':[1,null]}",
      "3" },
    { "{'field':'custom.score','op':'range','value':['0','9']}",
      "45" },
    { "{'field':'custom.nokey','op':'exists','value':false}",
      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
      "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,"
      "48" },
    { "{'field':'custom.nokey','op':'eq','value':'x'}",
      "" },
    { "{'has_label':12}",
      "7,14,21,28,35,42" },
    { "{'has_label':13}",
      "1,2,3" },
    { "{'has_label':999}",
      "" },
    { "{'has_line_link':true}",
      "3,6,9,12,15,18,21,24,27,30,33,36,39,42,45,48" },
    { "{'has_line_link':false}",
      "1,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23,25,26,28,29,31,32,34,35,"
      "37,38,40,41,43,44,46,47" },
    { "{'agent_route':true}",
      "5,10,15,20,25,30,35,40,45" },
    { "{'agent_route':false}",
      "1,2,3,4,6,7,8,9,11,12,13,14,16,17,18,19,21,22,23,24,26,27,28,29,31,"
      "32,33,34,36,37,38,39,41,42,43,44,46,47,48" },
    { "{'has_interview':true}",
      "2,4,6,8" },
    { "{'has_interview':false}",
      "1,3,5,7,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,"
      "29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48" },
    { "{'all':[{'field':'graduation_year','op':'range','value':[2026,2027]},"
      "{'any':[{'field':'status','op':'in','value':['applied','screening']},"
      "{'has_label':12}]},{'not':{'has_line_link':true}},"
      "{'agent_route':true},{'field':'email','op':'regex',"
      "'value':'@example\\\\.(com|jp)$'}]}",
      "35" },
    { "{'all':[{'field':'graduation_year','op':'range','value':[2026,2027]},"
      "{'any':[{'field':'status','op':'in','value':['applied','screening']},"
      "{'has_label':12}]},{'not':{'has_line_link':true}}]}",
      "7,14,22,35,43" },
    { "{'not':{'field':'status','op':'eq','value':'offer'}}",
      "1,2,4,5,6,7,8,9,11,12,13,14,15,16,18,19,20,21,22,23,25,26,27,28,29,"
      "30,32,33,34,35,36,37,39,40,41,42,43,44,46,47,48" },
    { "{'not':{'field':'graduation_year','op':'eq','value':2026}}",
      "1,3,4,5,7,8,9,10,11,12,13,15,16,17,19,20,21,23,24,25,27,28,29,30,"
      "31,32,33,35,36,37,39,40,41,43,44,45,47,48" },
    { "{'not':{'field':'email','op':'contains','value':'example'}}",
      "11,18,22,33,44" },
    { "{'not':{'field':'email','op':'regex','value':'^user'}}",
      "5,11,22,33,44" },
    { "{'not':{'not':{'field':'graduation_year','op':'eq','value':2026}}}",
      "2,6,14,18,22,26,34,38,42,46" },
    { "{'not':{'field':'custom.city','op':'eq','value':'Tokyo'}}",
      "1,2,3,4,5,7,8,9,10,11,13,14,15,16,17,19,20,21,22,23,25,26,27,28,29,"
      "31,32,33,34,35,37,38,39,40,41,43,44,46,47" },
    { "{'not':{'all':[{'field':'graduation_year','op':'eq','value':2026},"
      "{'field':'school','op':'eq','value':'Tokyo University'}]}}",
      "1,2,3,4,5,7,8,9,10,11,12,13,14,15,16,17,19,20,21,22,23,24,25,26,27,"
      "28,29,30,31,32,33,34,35,36,37,38,39,40,41,43,44,45,46,47,48" },
    { "{'not':{'any':[{'has_label':13},{'agent_route':true}]}}",
      "4,6,7,8,9,11,12,13,14,16,17,18,19,21,22,23,24,26,27,28,29,31,32,33,"
      "34,36,37,38,39,41,42,43,44,46,47,48" },
    { "{'any':[{'has_label':13},{'agent_route':true}]}",
      "1,2,3,5,10,15,20,25,30,35,40,45" },
    { "{'any':[{'field':'graduation_year','op':'eq','value':2026},"
      "{'not':{'field':'graduation_year','op':'eq','value':2026}}]}",
      "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,"
      "26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,"
      "48" },
    { "{'all':[{'field':'status','op':'eq','value':'offer'},"
      "{'field':'status','op':'ne','value':'offer'}]}",
      "" },
    { "{'all':[{'has_interview':true},{'not':{'has_label':13}},"
      "{'field':'custom.remote','op':'eq','value':true}]}",
      "4,8" },
};

#define NCASES  (sizeof(cases) / sizeof(cases[0]))

typedef struct {
    sqlite3  *db;
} search_state_t;


static void
exec_ok(sqlite3 *db, const char *sql)
{
    char  *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fail_msg("SQL failed: %s\n%s", msg ? msg : "?", sql);
    }
}


static void
insert_rows(sqlite3 *db, const char *prefix, const char *const *rows,
    size_t n)
{
    size_t  i;
    char    sql[1024];

    for (i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "%s%s", prefix, rows[i]);
        exec_ok(db, sql);
    }
}


static int
search_setup(void **state)
{
    int              i;
    search_state_t  *st;

    st = calloc(1, sizeof(*st));
    assert_non_null(st);
    assert_int_equal(sqlite3_open(":memory:", &st->db), SQLITE_OK);
    assert_int_equal(hrx_regexp_register(st->db), SQLITE_OK);

    for (i = 0; i < store_migration_count; i++) {
        exec_ok(st->db, store_migrations[i]);
    }
    exec_ok(st->db, "BEGIN");
    insert_rows(st->db, SEED_INSERT, seed_candidates,
                sizeof(seed_candidates) / sizeof(seed_candidates[0]));
    insert_rows(st->db, "INSERT INTO candidate_labels VALUES ", seed_labels,
                sizeof(seed_labels) / sizeof(seed_labels[0]));
    insert_rows(st->db, "INSERT INTO interviews (tenant_id, candidate_id,"
                " starts_at, created_at, updated_at) VALUES ",
                seed_interviews,
                sizeof(seed_interviews) / sizeof(seed_interviews[0]));
    exec_ok(st->db, "COMMIT");

    *state = st;
    return 0;
}


static int
search_teardown(void **state)
{
    search_state_t  *st = *state;

    assert_int_equal(sqlite3_close(st->db), SQLITE_OK);
    free(st);
    return 0;
}


/* JSON written with ' for " (no test value needs a real ') */
static json_t *
jsq(const char *text)
{
    char          *s, *p;
    json_t        *j;
    json_error_t   e;

    s = strdup(text);
    assert_non_null(s);

    for (p = s; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }

    j = json_loads(s, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (j == NULL) {
        fail_msg("bad test JSON: %s: %s", e.text, s);
    }

    free(s);
    return j;
}


static hrx_search_t *
compile_ok(const char *cond)
{
    int                  rc;
    json_t              *j;
    hrx_search_t        *s;
    hrx_search_error_t   err;

    j = jsq(cond);
    rc = hrx_search_compile(j, &s, &err);
    json_decref(j);

    if (rc != HRX_SEARCH_OK) {
        fail_msg("%s: %s %s: %s", cond, err.code, err.path, err.message);
    }

    assert_non_null(s);
    return s;
}


/* "1,2,3": the ids of tenant the fragment selects, ascending */
static char *
run_ids(sqlite3 *db, const hrx_search_t *s, int64_t tenant)
{
    int            rc;
    char          *sql, *out;
    size_t         n, len, cap;
    sqlite3_stmt  *stmt;

    n = strlen(hrx_search_sql(s)) + 128;
    sql = malloc(n);
    assert_non_null(sql);
    snprintf(sql, n, "SELECT c.id FROM candidates c WHERE c.tenant_id = ?"
             " AND (%s) ORDER BY c.id", hrx_search_sql(s));

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        fail_msg("prepare: %s\n%s", sqlite3_errmsg(db), sql);
    }

    assert_int_equal(sqlite3_bind_parameter_count(stmt),
                     1 + hrx_search_nbinds(s));
    assert_int_equal(sqlite3_bind_int64(stmt, 1, tenant), SQLITE_OK);
    assert_int_equal(hrx_search_bind(s, stmt, 2), SQLITE_OK);

    cap = 1024;
    out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    len = 0;

    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (len + 32 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }

        len += (size_t) snprintf(out + len, cap - len, "%s%lld",
                                 len ? "," : "",
                                 (long long) sqlite3_column_int64(stmt, 0));
    }

    if (rc != SQLITE_DONE) {
        fail_msg("step: %s\n%s", sqlite3_errmsg(db), sql);
    }

    sqlite3_finalize(stmt);
    free(sql);

    return out;
}


static void
expect_ids(sqlite3 *db, const char *cond, const char *ids)
{
    char          *got;
    hrx_search_t  *s;

    s = compile_ok(cond);
    got = run_ids(db, s, TENANT);

    if (strcmp(got, ids) != 0) {
        fail_msg("%s\n  sql:      %s\n  expected: %s\n  got:      %s",
                 cond, hrx_search_sql(s), ids, got);
    }

    free(got);
    hrx_search_free(s);
}


static void
expect_error_json(const json_t *cond, const char *what, const char *path,
    const char *code, const char *needle)
{
    int                  rc;
    hrx_search_t        *s;
    hrx_search_error_t   err;

    s = (hrx_search_t *) 1;
    rc = hrx_search_compile(cond, &s, &err);

    if (rc != HRX_SEARCH_INVALID) {
        fail_msg("%s: compiled, expected %s at %s", what, code, path);
    }

    assert_null(s);

    if (strcmp(err.path, path) != 0 || strcmp(err.code, code) != 0
        || (needle && strstr(err.message, needle) == NULL)
        || strstr(err.message, path) == NULL)
    {
        fail_msg("%s:\n  expected %s at %s (\"%s\")\n  got      %s at %s: %s",
                 what, code, path, needle ? needle : "", err.code, err.path,
                 err.message);
    }
}


static void
expect_error(const char *cond, const char *path, const char *code,
    const char *needle)
{
    json_t  *j;

    j = jsq(cond);
    expect_error_json(j, cond, path, code, needle);
    json_decref(j);
}


/* every field, operator, shorthand, and combinations ---------------------- */


static void
test_search_cases(void **state)
{
    size_t           i;
    search_state_t  *st = *state;

    for (i = 0; i < NCASES; i++) {
        expect_ids(st->db, cases[i].cond, cases[i].ids);
    }
}


/* NOT X selects exactly the tenant's candidates X does not (NULLs too) */
static void
test_search_not_is_complement(void **state)
{
    int              in[TENANT_ROWS + 1], id;
    char            *a, *b, *p, *cond;
    size_t           i, n;
    hrx_search_t    *s;
    search_state_t  *st = *state;

    for (i = 0; i < NCASES; i++) {
        n = strlen(cases[i].cond) + 16;
        cond = malloc(n);
        assert_non_null(cond);
        snprintf(cond, n, "{'not':%s}", cases[i].cond);

        s = compile_ok(cases[i].cond);
        a = run_ids(st->db, s, TENANT);
        hrx_search_free(s);

        s = compile_ok(cond);
        b = run_ids(st->db, s, TENANT);
        hrx_search_free(s);

        memset(in, 0, sizeof(in));

        for (p = a; *p; p += (*p == ',')) {
            id = (int) strtol(p, &p, 10);
            assert_true(id >= 1 && id <= TENANT_ROWS);
            in[id]++;
        }

        for (p = b; *p; p += (*p == ',')) {
            id = (int) strtol(p, &p, 10);
            assert_true(id >= 1 && id <= TENANT_ROWS);
            in[id]++;
        }

        for (id = 1; id <= TENANT_ROWS; id++) {
            if (in[id] != 1) {
                fail_msg("%s: candidate %d is in %s", cases[i].cond, id,
                         in[id] ? "both X and NOT X" : "neither");
            }
        }

        free(a);
        free(b);
        free(cond);
    }
}


/* the fragment never reaches another tenant's rows (the caller's filter) */
static void
test_search_tenant(void **state)
{
    char            *got;
    hrx_search_t    *s;
    search_state_t  *st = *state;

    s = compile_ok("{'has_label':13}");
    got = run_ids(st->db, s, 2);
    assert_string_equal(got, "49");
    free(got);
    hrx_search_free(s);

    s = compile_ok("{'has_interview':true}");
    got = run_ids(st->db, s, 2);
    assert_string_equal(got, "50");
    free(got);
    hrx_search_free(s);

    s = compile_ok("{'field':'family_name_kana','op':'eq','value':'ヤマダ'}");
    got = run_ids(st->db, s, 2);
    assert_string_equal(got, "49");
    free(got);
    hrx_search_free(s);
}


/* the SQL text and the binds, exactly ------------------------------------- */


typedef struct {
    const char  *cond;
    const char  *sql;
    const char  *binds;     /* t:text i:int d:double, ';'-separated */
} sql_case_t;

static const sql_case_t sql_cases[] = {
    { "{'field':'status','op':'eq','value':'offer'}",
      "(c.status = ?)", "t:offer" },
    { "{'field':'school','op':'ne','value':'Tokyo'}",
      "(c.school IS NOT ?)", "t:Tokyo" },
    { "{'field':'status','op':'in','value':['applied','screening']}",
      "(c.status IN (SELECT value FROM json_each(?)))",
      "t:[\"applied\",\"screening\"]" },
    { "{'field':'graduation_year','op':'range','value':[2026,null]}",
      "(c.graduation_year >= ?)", "i:2026" },
    { "{'field':'graduation_year','op':'range','value':[2025,2026]}",
      "(c.graduation_year >= ? AND c.graduation_year <= ?)", "i:2025;i:2026" },
    { "{'field':'email','op':'contains','value':'50%_'}",
      "(c.id IN (SELECT ft.rowid FROM candidate_text ft WHERE ft.email MATCH"
      " ? UNION ALL SELECT tp.id FROM candidate_text_pending tp) AND"
      " instr(lower(c.email), lower(?)) > 0)", "t:\"50%_\";t:50%_" },
    { "{'field':'school','op':'contains','value':'a\\u0022b'}",
      "(c.id IN (SELECT ft.rowid FROM candidate_text ft WHERE ft.school MATCH"
      " ? UNION ALL SELECT tp.id FROM candidate_text_pending tp) AND"
      " instr(lower(c.school), lower(?)) > 0)",
      "t:\"a\"\"b\";t:a\"b" },
    /* too short for trigrams; not, any: the test alone */
    { "{'field':'email','op':'contains','value':'東京'}",
      "(instr(lower(c.email), lower(?)) > 0)", "t:東京" },
    { "{'not':{'field':'school','op':'contains','value':'tokyo'}}",
      "((instr(lower(c.school), lower(?)) > 0) IS NOT 1)", "t:tokyo" },
    { "{'any':[{'field':'school','op':'contains','value':'tokyo'},"
      "{'has_line_link':true}]}",
      "((instr(lower(c.school), lower(?)) > 0) OR (c.line_user_id IS NOT"
      " NULL))", "t:tokyo" },
    /* all, and an any of one, keep it */
    { "{'all':[{'any':[{'field':'phone','op':'contains','value':'+81'}]},"
      "{'has_line_link':true}]}",
      "(((c.id IN (SELECT ft.rowid FROM candidate_text ft WHERE ft.phone"
      " MATCH ? UNION ALL SELECT tp.id FROM candidate_text_pending tp) AND"
      " instr(lower(c.phone), lower(?)) > 0)) AND"
      " (c.line_user_id IS NOT NULL))", "t:\"+81\";t:+81" },
    /* status and route are not in the index */
    { "{'field':'status','op':'contains','value':'view'}",
      "(instr(lower(c.status), lower(?)) > 0)", "t:view" },
    { "{'field':'email','op':'regex','value':'^a'}",
      "(hrx_regexp(?, c.email))", "t:^a" },
    { "{'field':'school','op':'exists','value':true}",
      "(coalesce(c.school, '') <> '')", "" },
    { "{'field':'owner_id','op':'exists','value':false}",
      "(c.owner_id IS NULL)", "" },
    { "{'field':'opted_out','op':'eq','value':true}",
      "(c.opted_out = ?)", "i:1" },
    { "{'field':'created_at','op':'eq','value':'2026-04-01T09:00:00+09:00'}",
      "(c.created_at = ?)", "i:1775001600000" },
    { "{'field':'custom.city','op':'eq','value':'Tokyo'}",
      "(json_extract(c.custom_fields, ?) = ?)", "t:$.city;t:Tokyo" },
    { "{'field':'custom.remote','op':'ne','value':true}",
      "(json_type(c.custom_fields, ?) IS NOT ?)", "t:$.remote;t:true" },
    { "{'field':'custom.score','op':'range','value':[1.5,2]}",
      "(json_type(c.custom_fields, ?) IN ('integer', 'real') AND "
      "json_extract(c.custom_fields, ?) >= ? AND "
      "json_extract(c.custom_fields, ?) <= ?)",
      "t:$.score;t:$.score;d:1.5;t:$.score;i:2" },
    { "{'field':'custom.since','op':'range','value':[null,'2026-04']}",
      "(json_type(c.custom_fields, ?) = 'text' AND "
      "json_extract(c.custom_fields, ?) <= ?)",
      "t:$.since;t:$.since;t:2026-04" },
    { "{'not':{'not':{'has_label':1}}}",
      "(((c.id IN (SELECT cl.candidate_id FROM candidate_labels cl WHERE "
      "cl.label_id = ?)) IS NOT 1) IS NOT 1)", "i:1" },
    { "{'field':'custom.city','op':'regex','value':'^T'}",
      "(hrx_regexp(?, json_extract(c.custom_fields, ?)))",
      "t:^T;t:$.city" },
    { "{'field':'custom.city','op':'contains','value':'ky'}",
      "(instr(lower(json_extract(c.custom_fields, ?)), lower(?)) > 0)",
      "t:$.city;t:ky" },
    { "{'has_label':12}",
      "(c.id IN (SELECT cl.candidate_id FROM candidate_labels cl WHERE "
      "cl.label_id = ?))", "i:12" },
    { "{'has_line_link':false}", "(c.line_user_id IS NULL)", "" },
    { "{'agent_route':true}", "(c.route = 'agent')", "" },
    { "{'agent_route':false}", "(c.route <> 'agent')", "" },
    { "{'has_interview':false}",
      "(NOT EXISTS (SELECT 1 FROM interviews i WHERE i.candidate_id = "
      "c.id))", "" },
    { "{'not':{'any':[{'has_line_link':true},{'agent_route':true}]}}",
      "(((c.line_user_id IS NOT NULL) OR (c.route = 'agent')) IS NOT 1)",
      "" },
    { "{'all':[{'has_line_link':true}]}", "((c.line_user_id IS NOT NULL))",
      "" },
};


static void
test_search_sql_text(void **state)
{
    int                       i;
    char                      got[512], one[128];
    size_t                    k, n;
    hrx_search_t             *s;
    const hrx_search_bind_t  *b;

    (void) state;

    for (k = 0; k < sizeof(sql_cases) / sizeof(sql_cases[0]); k++) {
        s = compile_ok(sql_cases[k].cond);

        if (strcmp(hrx_search_sql(s), sql_cases[k].sql) != 0) {
            fail_msg("%s\n  expected %s\n  got      %s", sql_cases[k].cond,
                     sql_cases[k].sql, hrx_search_sql(s));
        }

        got[0] = '\0';
        n = 0;
        b = hrx_search_binds(s);

        for (i = 0; i < hrx_search_nbinds(s); i++) {
            switch (b[i].type) {
            case HRX_SEARCH_BIND_TEXT:
                assert_int_equal(strlen(b[i].text), b[i].len);
                snprintf(one, sizeof(one), "t:%s", b[i].text);
                break;
            case HRX_SEARCH_BIND_INT:
                snprintf(one, sizeof(one), "i:%lld", (long long) b[i].i);
                break;
            case HRX_SEARCH_BIND_DOUBLE:
                snprintf(one, sizeof(one), "d:%g", b[i].d);
                break;
            default:
                snprintf(one, sizeof(one), "null");
            }

            n += (size_t) snprintf(got + n, sizeof(got) - n, "%s%s",
                                   i ? ";" : "", one);
        }

        if (strcmp(got, sql_cases[k].binds) != 0) {
            fail_msg("%s: binds\n  expected %s\n  got      %s",
                     sql_cases[k].cond, sql_cases[k].binds, got);
        }

        hrx_search_free(s);
    }
}


/* binds land at first_index.., and a statement without room says so */
static void
test_search_bind_index(void **state)
{
    sqlite3_stmt    *stmt;
    hrx_search_t    *s;
    search_state_t  *st = *state;
    char             sql[512];

    s = compile_ok("{'all':[{'field':'custom.city','op':'eq','value':"
                   "'Tokyo'},{'field':'graduation_year','op':'ne',"
                   "'value':2024}]}");
    assert_int_equal(hrx_search_nbinds(s), 3);

    /* two parameters before the fragment, one after */
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM candidates c"
             " WHERE c.tenant_id = ? AND c.id > ? AND (%s) AND c.id < ?",
             hrx_search_sql(s));
    assert_int_equal(sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_bind_int64(stmt, 1, TENANT), SQLITE_OK);
    assert_int_equal(sqlite3_bind_int64(stmt, 2, 0), SQLITE_OK);
    assert_int_equal(hrx_search_bind(s, stmt, 3), SQLITE_OK);
    assert_int_equal(sqlite3_bind_int64(stmt, 6, 30), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    /* city Tokyo: 6 12 18 24 30 36 42 45 48; below 30 and grad != 2024:
     * 6 (2026), 18 (2026); 12 and 24 are 2024 */
    assert_int_equal(sqlite3_column_int(stmt, 0), 2);
    sqlite3_finalize(stmt);

    /* too few parameters: the error of sqlite3_bind_* comes back */
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT ?, ?", -1, &stmt,
                                        NULL), SQLITE_OK);
    assert_int_equal(hrx_search_bind(s, stmt, 1), SQLITE_RANGE);
    sqlite3_finalize(stmt);

    hrx_search_free(s);
    hrx_search_free(NULL);
}


/* validation: path and code of every kind of error ------------------------ */


typedef struct {
    const char  *cond;
    const char  *path;
    const char  *code;
    const char  *needle;    /* in the message */
} error_case_t;

static const error_case_t error_cases[] = {
    /* nodes */
    { "[]", "condition", "invalid_type", "object" },
    { "'all'", "condition", "invalid_type", "object" },
    { "{}", "condition", "required", "has_label" },
    { "{'foo':1}", "condition.foo", "unknown_field", "not a condition key" },
    { "{'all':[{'has_line_link':true}],'any':[{'has_line_link':true}]}",
      "condition.any", "unknown_field", "combined with \"all\"" },
    { "{'field':'status','op':'eq','value':'offer','has_label':3}",
      "condition.has_label", "unknown_field", "combined with \"field\"" },
    { "{'field':'status','op':'eq','value':'offer','negate':true}",
      "condition.negate", "unknown_field", "combined with \"field\"" },
    { "{'all':{}}", "condition.all", "invalid_type", "array" },
    { "{'all':[]}", "condition.all", "invalid_value", "1 to 50" },
    { "{'any':[1]}", "condition.any[0]", "invalid_type", "object" },
    { "{'not':[{'has_line_link':true}]}", "condition.not", "invalid_type",
      "object" },
    { "{'not':{}}", "condition.not", "required", NULL },
    { "{'all':[{'has_line_link':true},{'any':[{'field':'nickname',"
      "'op':'eq','value':'x'}]}]}",
      "condition.all[1].any[0].field", "unknown_field", "\"nickname\"" },
    { "{'all':[{'has_line_link':true},{'any':[{'field':'status',"
      "'op':'eq','value':'bogus'}]}]}",
      "condition.all[1].any[0].value", "invalid_value", "applied" },
    { "{'all':[{'has_line_link':true},{'not':{'all':[{'agent_route':1}]}}]}",
      "condition.all[1].not.all[0].agent_route", "invalid_type",
      "true or false" },
    /* shorthands */
    { "{'has_label':'12'}", "condition.has_label", "invalid_type", "label" },
    { "{'has_label':0}", "condition.has_label", "invalid_value", ">= 1" },
    { "{'has_label':1.5}", "condition.has_label", "invalid_type", NULL },
    { "{'has_line_link':1}", "condition.has_line_link", "invalid_type",
      NULL },
    { "{'has_line_link':null}", "condition.has_line_link", "invalid_type",
      NULL },
    { "{'has_interview':'true'}", "condition.has_interview",
      "invalid_type", NULL },
    /* field */
    { "{'op':'eq','value':1}", "condition.field", "required", NULL },
    { "{'field':null,'op':'eq','value':1}", "condition.field", "required",
      NULL },
    { "{'field':3,'op':'eq','value':1}", "condition.field", "invalid_type",
      "string" },
    { "{'field':'Status','op':'eq','value':'offer'}", "condition.field",
      "unknown_field", "\"Status\"" },
    { "{'field':'line_user_id','op':'exists','value':true}",
      "condition.field", "unknown_field", NULL },
    { "{'field':'custom.','op':'exists','value':true}", "condition.field",
      "unknown_field", NULL },
    { "{'field':'custom.City','op':'exists','value':true}",
      "condition.field", "invalid_value", "^[a-z][a-z0-9_]{0,39}$" },
    { "{'field':'custom.a-b','op':'exists','value':true}",
      "condition.field", "invalid_value", "\"a-b\"" },
    { "{'field':'custom.a.b','op':'exists','value':true}",
      "condition.field", "invalid_value", NULL },
    { "{'field':'custom.1a','op':'exists','value':true}",
      "condition.field", "invalid_value", NULL },
    { "{'field':'custom.abcdefghijabcdefghijabcdefghijabcdefghijx',"
      "'op':'exists','value':true}", "condition.field", "invalid_value",
      NULL },
    /* op */
    { "{'field':'status','value':'offer'}", "condition.op", "required",
      NULL },
    { "{'field':'status','op':1,'value':'offer'}", "condition.op",
      "invalid_type", NULL },
    { "{'field':'status','op':'equals','value':'offer'}", "condition.op",
      "invalid_value", "eq, ne, in, range, contains, regex, exists" },
    { "{'field':'status','op':'EQ','value':'offer'}", "condition.op",
      "invalid_value", NULL },
    { "{'field':'graduation_year','op':'contains','value':'20'}",
      "condition.op", "invalid_value", "does not apply to graduation_year" },
    { "{'field':'status','op':'range','value':['a','b']}", "condition.op",
      "invalid_value", "use eq, ne, in, contains, regex, exists" },
    { "{'field':'opted_out','op':'regex','value':'1'}", "condition.op",
      "invalid_value", "use eq, ne, exists" },
    { "{'field':'created_at','op':'contains','value':'2026'}",
      "condition.op", "invalid_value", NULL },
    /* value */
    { "{'field':'status','op':'eq'}", "condition.value", "required", NULL },
    { "{'field':'status','op':'eq','value':null}", "condition.value",
      "required", NULL },
    { "{'field':'status','op':'eq','value':3}", "condition.value",
      "invalid_type", "string" },
    { "{'field':'route','op':'eq','value':'Agent'}", "condition.value",
      "invalid_value", "direct, agent" },
    { "{'field':'graduation_year','op':'eq','value':'2026'}",
      "condition.value", "invalid_type", "integer" },
    { "{'field':'graduation_year','op':'eq','value':2026.0}",
      "condition.value", "invalid_type", "integer" },
    { "{'field':'owner_id','op':'eq','value':0}", "condition.value",
      "invalid_value", ">= 1" },
    { "{'field':'opted_out','op':'eq','value':1}", "condition.value",
      "invalid_type", "true or false" },
    { "{'field':'custom.x','op':'eq','value':{}}", "condition.value",
      "invalid_type", NULL },
    { "{'field':'custom.x','op':'eq','value':[1]}", "condition.value",
      "invalid_type", NULL },
    { "{'field':'email','op':'eq','value':'a\\u0000b'}", "condition.value",
      "invalid_value", "NUL" },
    { "{'field':'email','op':'exists','value':'yes'}", "condition.value",
      "invalid_type", "true or false" },
    { "{'field':'email','op':'contains','value':''}", "condition.value",
      "invalid_value", "empty" },
    { "{'field':'email','op':'contains','value':5}", "condition.value",
      "invalid_type", NULL },
    { "{'field':'email','op':'regex','value':'(unclosed'}",
      "condition.value", "invalid_value", "regular expression" },
    { "{'field':'email','op':'regex','value':'a{2,1}'}",
      "condition.value", "invalid_value", "regular expression" },
    { "{'field':'email','op':'regex','value':'\\\\'}",
      "condition.value", "invalid_value", "at offset" },
    { "{'field':'email','op':'regex','value':['a']}", "condition.value",
      "invalid_type", NULL },
    /* in */
    { "{'field':'status','op':'in','value':'offer'}", "condition.value",
      "invalid_type", "array" },
    { "{'field':'status','op':'in','value':[]}", "condition.value",
      "invalid_value", "1 to 500" },
    { "{'field':'status','op':'in','value':['offer','hired','nope']}",
      "condition.value[2]", "invalid_value", "\"nope\"" },
    { "{'field':'graduation_year','op':'in','value':[2026,null]}",
      "condition.value[1]", "invalid_type", NULL },
    { "{'field':'custom.x','op':'in','value':['a',true]}",
      "condition.value[1]", "invalid_type", "boolean" },
    { "{'field':'created_at','op':'in','value':['2026-01-01']}",
      "condition.value[0]", "invalid_value", "RFC 3339" },
    /* range */
    { "{'field':'graduation_year','op':'range','value':2026}",
      "condition.value", "invalid_type", "[min, max]" },
    { "{'field':'graduation_year','op':'range','value':[2026]}",
      "condition.value", "invalid_value", "[min, max]" },
    { "{'field':'graduation_year','op':'range','value':[1,2,3]}",
      "condition.value", "invalid_value", NULL },
    { "{'field':'graduation_year','op':'range','value':[null,null]}",
      "condition.value", "invalid_value", "minimum, a maximum" },
    { "{'field':'graduation_year','op':'range','value':[2027,2026]}",
      "condition.value", "invalid_value", "greater" },
    { "{'field':'graduation_year','op':'range','value':[2026,'2027']}",
      "condition.value[1]", "invalid_type", "integer" },
    { "{'field':'created_at','op':'range','value':"
      "['2026-02-01T00:00:00Z','2026-01-31T23:59:59Z']}",
      "condition.value", "invalid_value", "greater" },
    { "{'field':'custom.x','op':'range','value':[1,'a']}",
      "condition.value[1]", "invalid_type", "same type" },
    { "{'field':'custom.x','op':'range','value':[true,null]}",
      "condition.value[0]", "invalid_type", NULL },
    { "{'field':'custom.x','op':'range','value':['b','a']}",
      "condition.value", "invalid_value", "greater" },
    { "{'field':'custom.x','op':'range','value':[2.5,2]}",
      "condition.value", "invalid_value", "greater" },
    /* times */
    { "{'field':'created_at','op':'eq','value':1767225600000}",
      "condition.value", "invalid_type", "RFC 3339" },
    { "{'field':'created_at','op':'eq','value':'2026-13-01T00:00:00Z'}",
      "condition.value", "invalid_value", "2026-13-01T00:00:00Z" },
    { "{'field':'updated_at','op':'eq','value':'2026-02-29T00:00:00Z'}",
      "condition.value", "invalid_value", NULL },
    { "{'field':'updated_at','op':'range','value':[null,'yesterday']}",
      "condition.value[1]", "invalid_value", "\"yesterday\"" },
};


static void
test_search_errors(void **state)
{
    size_t  i;

    (void) state;

    for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        expect_error(error_cases[i].cond, error_cases[i].path,
                     error_cases[i].code, error_cases[i].needle);
    }
}


static void
test_search_error_null(void **state)
{
    hrx_search_t        *s;
    hrx_search_error_t   err;

    (void) state;

    assert_int_equal(hrx_search_compile(NULL, &s, &err), HRX_SEARCH_INVALID);
    assert_null(s);
    assert_string_equal(err.path, "condition");
    assert_string_equal(err.code, "required");
}


/* limits ------------------------------------------------------------------ */


/* {'not':{'not':...{leaf}}}: depth nodes on the path */
static json_t *
nested_not(int depth)
{
    int      i;
    json_t  *j, *n;

    j = jsq("{'has_line_link':true}");

    for (i = 1; i < depth; i++) {
        n = json_object();
        json_object_set_new(n, "not", j);
        j = n;
    }

    return j;
}


/* {'all':[{'any':[leaf * k]} * groups ...]} */
static json_t *
wide(int groups, int per_group, int last_group)
{
    int      g, k, n;
    json_t  *root, *all, *any, *grp;

    root = json_object();
    all = json_array();
    json_object_set_new(root, "all", all);

    for (g = 0; g < groups; g++) {
        grp = json_object();
        any = json_array();
        n = g == groups - 1 ? last_group : per_group;

        for (k = 0; k < n; k++) {
            json_array_append_new(any, jsq("{'agent_route':true}"));
        }

        json_object_set_new(grp, "any", any);
        json_array_append_new(all, grp);
    }

    return root;
}


static json_t *
in_list(int n, const char *field)
{
    int      i;
    json_t  *j, *v;

    v = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(v, json_integer(2000 + i));
    }

    j = json_object();
    json_object_set_new(j, "field", json_string(field));
    json_object_set_new(j, "op", json_string("in"));
    json_object_set_new(j, "value", v);

    return j;
}


static json_t *
long_string_leaf(const char *op, size_t chars, const char *unit)
{
    char    *s;
    size_t   i, u;
    json_t  *j;

    u = strlen(unit);
    s = malloc(chars * u + 1);
    assert_non_null(s);

    for (i = 0; i < chars; i++) {
        memcpy(s + i * u, unit, u);
    }

    s[chars * u] = '\0';

    j = json_object();
    json_object_set_new(j, "field", json_string("school"));
    json_object_set_new(j, "op", json_string(op));
    json_object_set_new(j, "value", json_string(s));
    free(s);

    return j;
}


static void
expect_compiles(const json_t *j)
{
    hrx_search_t        *s;
    hrx_search_error_t   err;

    if (hrx_search_compile(j, &s, &err) != HRX_SEARCH_OK) {
        fail_msg("%s %s: %s", err.code, err.path, err.message);
    }

    hrx_search_free(s);
}


static void
test_search_limits(void **state)
{
    int                  i;
    char                *got, path[256];
    size_t               n;
    json_t              *j, *all;
    hrx_search_t        *s;
    search_state_t      *st = *state;
    hrx_search_error_t   err;

    /* depth 10 compiles and runs; 11 does not, named at the 11th node */
    j = nested_not(10);
    assert_int_equal(hrx_search_compile(j, &s, &err), HRX_SEARCH_OK);
    got = run_ids(st->db, s, TENANT);
    /* nine nots around has_line_link=true: the unlinked ids */
    assert_string_equal(got, "1,2,4,5,7,8,10,11,13,14,16,17,19,20,22,23,25,"
                        "26,28,29,31,32,34,35,37,38,40,41,43,44,46,47");
    free(got);
    hrx_search_free(s);
    json_decref(j);

    j = nested_not(11);
    n = (size_t) snprintf(path, sizeof(path), "condition");
    for (i = 0; i < 10; i++) {
        n += (size_t) snprintf(path + n, sizeof(path) - n, ".not");
    }
    expect_error_json(j, "depth 11", path, "invalid_value", "at most 10");
    json_decref(j);

    /* 200 nodes: 1 all + 50 any + 49 * 3 + 2 leaves; 201 is refused */
    j = wide(50, 3, 2);
    expect_compiles(j);
    json_decref(j);

    j = wide(50, 3, 3);
    expect_error_json(j, "201 nodes", "condition.all[49].any[2]",
                      "invalid_value", "at most 200");
    json_decref(j);

    /* 50 children, not 51 */
    j = wide(1, 50, 50);
    expect_compiles(j);
    json_decref(j);

    j = wide(1, 51, 51);
    expect_error_json(j, "51 children", "condition.all[0].any",
                      "invalid_value", "1 to 50");
    json_decref(j);

    /* in: 500 values, not 501 */
    j = in_list(500, "graduation_year");
    expect_compiles(j);
    json_decref(j);

    j = in_list(501, "graduation_year");
    expect_error_json(j, "in 501", "condition.value", "invalid_value",
                      "not 501");
    json_decref(j);

    /* strings: 1000 characters (not bytes), not 1001 */
    j = long_string_leaf("eq", 1000, "学");
    expect_compiles(j);
    json_decref(j);

    j = long_string_leaf("contains", 1001, "a");
    expect_error_json(j, "1001 chars", "condition.value", "invalid_value",
                      "at most 1000");
    json_decref(j);

    j = long_string_leaf("regex", 1001, "a");
    expect_error_json(j, "1001 char regex", "condition.value",
                      "invalid_value", "at most 1000");
    json_decref(j);

    /*
     * Big lists: 50 lists of 500 values (25 000 values) take 50 binds,
     * one JSON array each; 200 such lists would still fit under
     * SQLITE_MAX_VARIABLE_NUMBER.
     */
    j = json_object();
    all = json_array();
    json_object_set_new(j, "any", all);
    for (i = 0; i < 50; i++) {
        json_array_append_new(all, in_list(500, "graduation_year"));
    }

    assert_int_equal(hrx_search_compile(j, &s, &err), HRX_SEARCH_OK);
    assert_int_equal(hrx_search_nbinds(s), 50);
    got = run_ids(st->db, s, TENANT);
    /* 2000..2499 holds every graduation year; NULL ones are out */
    assert_string_equal(got, "1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,"
                        "21,22,23,24,25,26,27,28,29,31,32,33,34,35,36,37,"
                        "38,39,41,42,43,44,45,46,47,48");
    free(got);
    hrx_search_free(s);
    json_decref(j);
}


/* injection: names are looked up, values are bound ------------------------ */


static void
test_search_injection(void **state)
{
    int                  count;
    char                *got;
    json_t              *j;
    hrx_search_t        *s;
    sqlite3_stmt        *stmt;
    search_state_t      *st = *state;
    hrx_search_error_t   err;

    /* field names and custom keys never reach the SQL: refused */
    expect_error("{'field':'email) OR 1=1 --','op':'eq','value':'x'}",
                 "condition.field", "unknown_field", "email) OR 1=1 --");
    expect_error("{'field':'email\\u0000','op':'eq','value':'x'}",
                 "condition.field", "unknown_field", NULL);
    expect_error("{'field':'custom.x\\u0027) OR 1=1','op':'eq','value':'x'}",
                 "condition.field", "invalid_value", "x') OR 1=1");
    expect_error("{'field':'custom.x\\u0022]','op':'exists','value':true}",
                 "condition.field", "invalid_value", NULL);
    expect_error("{'field':'custom.a[0]','op':'exists','value':true}",
                 "condition.field", "invalid_value", NULL);
    expect_error("{'field':'status','op':'eq; DROP TABLE candidates',"
                 "'value':'x'}", "condition.op", "invalid_value", NULL);
    expect_error("{'field':'email','op':'eq','value':'x',"
                 "'1=1); DROP TABLE candidates; --':1}",
                 "condition.1=1); DROP TABLE candidates; --",
                 "unknown_field", NULL);

    /* values are bound: harmless, and absent from the SQL text */
    j = jsq("{'any':["
            "{'field':'email','op':'eq','value':'x\\u0027 OR \\u00271\\u0027="
            "\\u00271'},"
            "{'field':'school','op':'contains','value':"
            "'%\\u0027 OR 1=1 --'},"
            "{'field':'school','op':'in','value':"
            "['\\u0027) OR 1=1 --','\\u0022]) OR 1=1 --']},"
            "{'field':'family_name','op':'regex','value':"
            "'x\\u0027 OR \\u0027a\\u0027=\\u0027a'},"
            "{'field':'custom.city','op':'eq','value':'\\u0027 OR 1=1 --'}"
            "]}");
    assert_int_equal(hrx_search_compile(j, &s, &err), HRX_SEARCH_OK);
    json_decref(j);
    assert_null(strstr(hrx_search_sql(s), "OR 1=1"));
    assert_null(strstr(hrx_search_sql(s), "'1'"));
    got = run_ids(st->db, s, TENANT);
    assert_string_equal(got, "");
    free(got);
    hrx_search_free(s);

    /* and nothing was changed */
    assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT count(*) FROM"
                                        " candidates", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    count = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    assert_int_equal(count, 50);
}


/* contains through the trigram index (candidate_text) --------------------- */


#define TEXT_TENANT  3

#define TEXT_INSERT                                                           \
    "INSERT INTO candidates (id, tenant_id, family_name, given_name,"         \
    " family_name_kana, given_name_kana, email, phone, country, school,"     \
    " created_at, updated_at) VALUES "

/*
 * Tenant 3: text for the index and its case folding -- Japanese, mixed
 * case, letters lower() leaves alone but the tokenizer folds (É, the
 * fullwidth ＴＯＫＹＯ, the Kelvin sign U+212A), FTS5 query syntax in the
 * data, NULL and empty columns.
 */
static const char *const text_candidates[] = {
    "(101, 3, '山田', 'Taro', 'ヤマダ', 'タロウ', 'Taro.Yamada@Example.JP',"
    " '+81312345678', 'JP', '東京大学', 0, 0)",
    "(102, 3, 'O\"Brien', 'Anne-Marie', NULL, NULL, 'anne@x.example',"
    " '+14155550100', 'US', 'TOKYO Institute of Technology', 0, 0)",
    "(103, 3, 'a*b NEAR(c d)', 'x OR y', NULL, NULL, 'col:val@example.com',"
    " NULL, 'JP', '東京工業大学', 0, 0)",
    "(104, 3, 'École', 'KELVIN \u212a', NULL, NULL, NULL, NULL, NULL,"
    " 'ＴＯＫＹＯ Univ', 0, 0)",
    "(105, 3, 'tokyo-ite', NULL, NULL, NULL, 'MiXeD.Case@TOKYO.example',"
    " NULL, NULL, NULL, 0, 0)",
    "(106, 3, 'Ünïcödé Straße', '^start', 'とうきょう', NULL,"
    " 'minus-sign@example.com', NULL, 'DE', '', 0, 0)",
    "(107, 3, 'x\"y\"z', '\"quoted\"', NULL, NULL, 'q@example.com', NULL,"
    " 'JP', 'Kyoto University', 0, 0)",
    "(108, 3, 'İstanbul', 'ÉCOLE', NULL, NULL, NULL, '+905551234567', 'TR',"
    " 'istanbul Technical', 0, 0)",
};

static const char *const text_fields[] = {
    "family_name", "given_name", "family_name_kana", "given_name_kana",
    "email", "phone", "country", "school",
};

static const char *const text_needles[] = {
    "tokyo", "TOKYO", "ToKyO", "東京", "東京大", "東京大学", "京都",
    "ｔｏｋｙｏ", "ＴＯＫＹＯ", "école", "École", "ÉCOLE", "kelvin k",
    "kelvin \u212a", "straße", "STRASSE", "ünï", "istanbul", "İstanbul",
    "\"", "\"\"", "\"quoted\"", "x\"y", "y\"z", "O\"Brien", "a*b", "*",
    "b*", "NEAR(c", "NEAR", "near(c d)", "x OR y", " OR ", "OR", "AND",
    "NOT", "-sign", "anne-marie", "col:val", ":va", "^st", "^", "(c d)",
    ")", "+81", "+", "@example", ".com", "a", "ab", "abc", "ヤマダ",
    "やまだ", "とうきょう", "うきょ", "  ", "univ", "e t", "{col}",
    "school:", "family_name : x", "'", "a'b", "\\", "%_",
};


static int
text_setup(void **state)
{
    search_state_t  *st;

    search_setup(state);
    st = *state;
    insert_rows(st->db, TEXT_INSERT, text_candidates,
                sizeof(text_candidates) / sizeof(text_candidates[0]));

    return 0;
}


static int64_t
query_int(sqlite3 *db, const char *sql)
{
    int64_t        v;
    sqlite3_stmt  *stmt;

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        fail_msg("prepare: %s\n%s", sqlite3_errmsg(db), sql);
    }

    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);

    return v;
}


/*
 * The invariant of migration 5: every candidate is either pending or in
 * the index with the text it has now.  With the pending rows added (and
 * taken back), FTS5's own check compares the index with the table.
 */
static void
text_index_ok(sqlite3 *db)
{
    exec_ok(db, "SAVEPOINT check_text;"
            "INSERT INTO candidate_text (rowid, family_name, given_name,"
            " family_name_kana, given_name_kana, email, phone, country,"
            " school) SELECT c.id, c.family_name, c.given_name,"
            " c.family_name_kana, c.given_name_kana, c.email, c.phone,"
            " c.country, c.school FROM candidate_text_pending p"
            " JOIN candidates c ON c.id = p.id;"
            "INSERT INTO candidate_text (candidate_text, rank)"
            " VALUES ('integrity-check', 1);"
            "ROLLBACK TO check_text; RELEASE check_text;");
}


/* into the index with what is pending, by the schema's own trigger */
static void
text_flush(sqlite3 *db)
{
    int  n;

    for (n = 0; query_int(db, "SELECT count(*) FROM candidate_text_pending")
                > 0; n++)
    {
        assert_true(n < 256);
        exec_ok(db, "INSERT INTO candidates (tenant_id, family_name,"
                " created_at, updated_at) VALUES (9, 'filler', 0, 0)");
    }
}


/* characters (code points) of UTF-8 text */
static size_t
utf8_chars(const char *s)
{
    size_t  n;

    for (n = 0; *s; s++) {
        n += ((unsigned char) *s & 0xc0) != 0x80;
    }

    return n;
}


static hrx_search_t *
compile_json_ok(const json_t *cond, unsigned flags)
{
    char                *text;
    hrx_search_t        *s;
    hrx_search_error_t   err;

    if (hrx_search_compile_flags(cond, flags, &s, &err) != HRX_SEARCH_OK) {
        text = json_dumps(cond, JSON_COMPACT);
        fail_msg("%s: %s %s: %s", text, err.code, err.path, err.message);
    }

    return s;
}


/*
 * cond finds the same candidates of tenant with and without the index;
 * whether it was used must be as expected.  Returns the ids.
 */
static char *
text_same(sqlite3 *db, const json_t *cond, int64_t tenant, int indexed)
{
    char          *a, *b, *text;
    hrx_search_t  *s, *plain;

    s = compile_json_ok(cond, 0);
    plain = compile_json_ok(cond, HRX_SEARCH_NO_TEXT_INDEX);
    text = json_dumps(cond, JSON_COMPACT | JSON_ENSURE_ASCII);

    if ((strstr(hrx_search_sql(s), "candidate_text") != NULL) != indexed) {
        fail_msg("%s: index %sexpected: %s", text, indexed ? "" : "not ",
                 hrx_search_sql(s));
    }

    assert_null(strstr(hrx_search_sql(plain), "candidate_text"));

    a = run_ids(db, s, tenant);
    b = run_ids(db, plain, tenant);

    if (strcmp(a, b) != 0) {
        fail_msg("%s (tenant %lld)\n  with the index: %s\n  without:        "
                 "%s", text, (long long) tenant, a, b);
    }

    free(b);
    free(text);
    hrx_search_free(plain);
    hrx_search_free(s);

    return a;
}


static void
text_expect_in(sqlite3 *db, int64_t tenant, const char *field,
    const char *needle, const char *ids)
{
    char    *got;
    json_t  *leaf;

    leaf = json_pack("{s:s, s:s, s:s}", "field", field, "op", "contains",
                     "value", needle);
    assert_non_null(leaf);

    got = text_same(db, leaf, tenant, utf8_chars(needle) >= 3);

    if (strcmp(got, ids) != 0) {
        fail_msg("%s contains \"%s\": expected %s, got %s", field, needle,
                 ids, got);
    }

    free(got);
    json_decref(leaf);
}


static void
text_expect(sqlite3 *db, const char *field, const char *needle,
    const char *ids)
{
    text_expect_in(db, TEXT_TENANT, field, needle, ids);
}


/* every needle on every indexed field, alone and under all / any / not */
static size_t
text_same_all(sqlite3 *db)
{
    int              long_enough, tenants[2] = { TEXT_TENANT, TENANT };
    char            *got;
    size_t           f, n, w, t, hits;
    json_t          *leaf, *cond;

    hits = 0;

    for (f = 0; f < sizeof(text_fields) / sizeof(text_fields[0]); f++) {
        for (n = 0; n < sizeof(text_needles) / sizeof(text_needles[0]);
             n++)
        {
            leaf = json_pack("{s:s, s:s, s:s}", "field", text_fields[f],
                             "op", "contains", "value", text_needles[n]);
            assert_non_null(leaf);

            long_enough = utf8_chars(text_needles[n]) >= 3;

            for (w = 0; w < 5; w++) {
                switch (w) {
                case 0:
                    cond = json_incref(leaf);
                    break;
                case 1:
                    cond = json_pack("{s:O}", "not", leaf);
                    break;
                case 2:
                    cond = json_pack("{s:[O, {s:s, s:s, s:b}]}", "all", leaf,
                                     "field", "country", "op", "exists",
                                     "value", 1);
                    break;
                case 3:
                    cond = json_pack("{s:[O, {s:i}]}", "any", leaf,
                                     "has_label", 12);
                    break;
                default:
                    cond = json_pack("{s:[O]}", "any", leaf);
                }

                assert_non_null(cond);

                for (t = 0; t < 2; t++) {
                    got = text_same(db, cond, tenants[t],
                                    long_enough && w != 1 && w != 3);
                    hits += got[0] != '\0';
                    free(got);
                }

                json_decref(cond);
            }

            json_decref(leaf);
        }
    }

    return hits;
}


static void
test_search_text_same(void **state)
{
    size_t           pending, indexed;
    search_state_t  *st = *state;

    /* all rows pending, then all in the index */
    assert_true(query_int(st->db, "SELECT count(*) FROM"
                          " candidate_text_pending") > 50);
    pending = text_same_all(st->db);

    text_flush(st->db);
    indexed = text_same_all(st->db);

    /* the same, and not a comparison of empty lists */
    assert_int_equal(pending, indexed);
    assert_true(indexed > 500);

    /* what they find, from the rows above */
    text_expect(st->db, "school", "tokyo", "102");
    text_expect(st->db, "school", "ToKyO", "102");
    text_expect(st->db, "school", "ＴＯＫＹＯ", "104");
    text_expect(st->db, "school", "ｔｏｋｙｏ", "");
    text_expect(st->db, "school", "東京大", "101");
    text_expect(st->db, "school", "東京大学", "101");
    text_expect(st->db, "school", "東京", "101,103");
    text_expect(st->db, "school", "istanbul", "108");
    text_expect(st->db, "family_name", "École", "104");
    text_expect(st->db, "family_name", "école", "");
    text_expect(st->db, "family_name", "istanbul", "");
    text_expect(st->db, "family_name", "straße", "106");
    text_expect(st->db, "family_name", "STRASSE", "");
    text_expect(st->db, "given_name", "École", "108");
    text_expect(st->db, "given_name", "kelvin \u212a", "104");
    text_expect(st->db, "given_name", "kelvin k", "");
    text_expect(st->db, "family_name", "O\"Brien", "102");
    text_expect(st->db, "family_name", "x\"y\"z", "107");
    text_expect(st->db, "given_name", "\"quoted\"", "107");
    text_expect(st->db, "family_name", "NEAR(c", "103");
    text_expect(st->db, "family_name", "a*b", "103");
    text_expect(st->db, "given_name", "x OR y", "103");
    text_expect(st->db, "given_name", "^st", "106");
    text_expect(st->db, "email", "tokyo", "105");
    text_expect(st->db, "email", "col:val", "103");
    text_expect(st->db, "email", "-sign", "106");
    text_expect(st->db, "family_name_kana", "ヤマダ", "101");
    text_expect(st->db, "family_name_kana", "うきょ", "106");
    text_expect(st->db, "phone", "+81", "101");
    text_expect(st->db, "country", "JPN", "");
}


/*
 * Writes to candidates reach the index: insert, update, delete, each on a
 * row that is pending and on one in the index (flush: everything is
 * flushed into the index before each write).
 */
static void
text_sync(sqlite3 *db, int flush)
{
#define STEP(sql)                                                             \
    do {                                                                      \
        if (flush) {                                                          \
            text_flush(db);                                                   \
        }                                                                     \
        exec_ok(db, sql);                                                     \
        text_index_ok(db);                                                    \
    } while (0)

    text_index_ok(db);

    STEP("UPDATE candidates SET school = 'Hokkaido University' WHERE id = 1");
    text_expect_in(db, TENANT, "school", "hokkaido", "1");

    STEP("UPDATE candidates SET school = 'Sapporo Gakuin' WHERE id = 1");
    text_expect_in(db, TENANT, "school", "hokkaido", "");
    text_expect_in(db, TENANT, "school", "sapporo", "1");

    /* columns the index does not hold: it is left alone, and stays right */
    STEP("UPDATE candidates SET status = 'offer', updated_at = 1"
         " WHERE id = 1");
    text_expect_in(db, TENANT, "school", "sapporo", "1");

    /* equal under NOCASE, not as bytes */
    STEP("UPDATE candidates SET email = 'SAPPORO@Example.com' WHERE id = 1");
    STEP("UPDATE candidates SET email = 'sapporo@example.com' WHERE id = 1");
    text_expect_in(db, TENANT, "email", "Sapporo@", "1");

    /* to NULL and back */
    STEP("UPDATE candidates SET given_name = NULL WHERE id = 1");
    text_expect_in(db, TENANT, "given_name", "given01", "");
    STEP("UPDATE candidates SET given_name = '花子' || 'さん' WHERE id = 1");
    text_expect_in(db, TENANT, "given_name", "花子さん", "1");

    /* a new id */
    STEP("UPDATE candidates SET id = 50001 WHERE id = 1");
    text_expect_in(db, TENANT, "school", "sapporo", "50001");

    STEP("DELETE FROM candidates WHERE id = 50001");
    text_expect_in(db, TENANT, "school", "sapporo", "");
    text_expect_in(db, TENANT, "given_name", "花子さん", "");

    STEP(TEXT_INSERT "(60, 1, 'Newcomer', NULL, NULL, NULL, NULL, NULL,"
         " NULL, 'Sapporo Gakuin', 0, 0)");
    text_expect_in(db, TENANT, "school", "sapporo", "60");
    text_expect_in(db, TENANT, "family_name", "newcomer", "60");

    /* many rows in one statement, as an import or a bulk change writes */
    STEP("UPDATE candidates SET school = school || ' Annex'"
         " WHERE tenant_id = 3");
    text_expect(db, "school", "technical annex", "108");
    text_expect(db, "school", "大学 annex", "101,103");

    /* more than a flush in one statement */
    STEP("UPDATE candidates SET family_name = family_name || ' Jr.'");
    text_expect(db, "family_name", "山田 jr.", "101");
    text_expect_in(db, TENANT, "family_name", "family02 jr.", "2");

    STEP("DELETE FROM candidates WHERE tenant_id = 3");
    text_expect(db, "school", "annex", "");

#undef STEP
}


static void
test_search_text_sync_pending(void **state)
{
    search_state_t  *st = *state;

    text_sync(st->db, 0);
}


static void
test_search_text_sync_indexed(void **state)
{
    search_state_t  *st = *state;

    text_sync(st->db, 1);
}


/* the migration indexes the rows that were there before it */
static void
test_search_text_migration(void **state)
{
    int       i, at;
    sqlite3  *db;

    (void) state;

    at = -1;

    for (i = 0; i < store_migration_count; i++) {
        if (strstr(store_migrations[i], "CREATE VIRTUAL TABLE candidate_text")
            != NULL)
        {
            at = i;
        }
    }

    assert_true(at > 0);

    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);

    for (i = 0; i < at; i++) {
        exec_ok(db, store_migrations[i]);
    }

    insert_rows(db, TEXT_INSERT, text_candidates,
                sizeof(text_candidates) / sizeof(text_candidates[0]));

    for (i = at; i < store_migration_count; i++) {
        exec_ok(db, store_migrations[i]);
    }

    /* all in the index, none pending */
    assert_int_equal(query_int(db, "SELECT count(*) FROM"
                               " candidate_text_pending"), 0);
    text_index_ok(db);
    text_expect(db, "school", "東京大", "101");
    text_expect(db, "email", "tokyo", "105");

    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}


/*
 * The plans the counts rest on (docs/data-model.md, "How conditions
 * run"), for the statement the module's count runs: a change of schema
 * or compiler that loses one shows here, not only in a benchmark.
 */
static void
plan_expect(sqlite3 *db, const char *cond, const char *want)
{
    char            *sql, plan[2048], operate[2048];
    size_t           n, len;
    hrx_search_t    *s;
    sqlite3_stmt    *stmt;

    s = compile_ok(cond);
    assert_int_equal(hrx_sql_operate(operate, sizeof(operate), "c"), 0);

    n = strlen(hrx_search_sql(s)) + strlen(operate) + 256;
    sql = malloc(n);
    assert_non_null(sql);
    snprintf(sql, n, "EXPLAIN QUERY PLAN SELECT count(*) FROM candidates c"
             " WHERE (%s) AND c.tenant_id = :tenant AND %s",
             hrx_search_sql(s), operate);

    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        fail_msg("prepare: %s\n%s", sqlite3_errmsg(db), sql);
    }

    len = 0;
    plan[0] = '\0';

    while (sqlite3_step(stmt) == SQLITE_ROW && len < sizeof(plan)) {
        len += (size_t) snprintf(plan + len, sizeof(plan) - len, "%s\n",
                                 (const char *) sqlite3_column_text(stmt, 3));
    }

    sqlite3_finalize(stmt);

    if (strstr(plan, want) == NULL) {
        fail_msg("%s\n  expected in the plan: %s\n  plan:\n%s", cond, want,
                 plan);
    }

    free(sql);
    hrx_search_free(s);
}


static void
test_search_plans(void **state)
{
    search_state_t  *st = *state;

    /* from the index alone: only the matching entries */
    plan_expect(st->db, "{'all':[{'field':'status','op':'in','value':"
                "['applied','screening','interview']},{'field':"
                "'graduation_year','op':'range','value':[2026,2027]}]}",
                "SEARCH c USING COVERING INDEX candidates_tenant_status_year"
                " (tenant_id=? AND status=? AND graduation_year>? AND"
                " graduation_year<?)");
    plan_expect(st->db, "{'field':'status','op':'eq','value':'offer'}",
                "SEARCH c USING COVERING INDEX candidates_tenant_status_year"
                " (tenant_id=? AND status=?)");

    /* from the label's rows, each candidate looked up in the index */
    plan_expect(st->db, "{'has_label':12}",
                "SEARCH c USING COVERING INDEX candidates_tenant"
                " (tenant_id=? AND id=?)");

    /* from the trigram index, each hit looked up by id */
    plan_expect(st->db, "{'field':'school','op':'contains','value':'tokyo'}",
                "SCAN ft VIRTUAL TABLE INDEX 0:M");
    plan_expect(st->db, "{'field':'school','op':'contains','value':'tokyo'}",
                "SEARCH c USING INDEX candidates_tenant (tenant_id=? AND"
                " id=?)");

    /* a scan of the tenant reads its rows in id order */
    plan_expect(st->db, "{'not':{'field':'school','op':'contains','value':"
                "'tokyo'}}", "SEARCH c USING INDEX candidates_tenant"
                " (tenant_id=?)");
}


/* regex ------------------------------------------------------------------- */


static double
now_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


/* (a+)+$ against "aaa...ab" (candidate 48): bounded, no match, counted */
static void
test_search_regex_catastrophic(void **state)
{
    char            *got;
    double           t0, dt;
    uint64_t         hits0, hits1;
    hrx_search_t    *s;
    search_state_t  *st = *state;

    hrx_regexp_stats(NULL, &hits0);

    s = compile_ok("{'field':'family_name','op':'regex','value':'(a+)+$'}");
    t0 = now_s();
    got = run_ids(st->db, s, TENANT);
    dt = now_s() - t0;

    /* "a...ab" does not end in a's: no match, and no hang */
    assert_string_equal(got, "");
    assert_true(dt < 2.0);
    free(got);
    hrx_search_free(s);

    hrx_regexp_stats(NULL, &hits1);
    assert_true(hits1 >= hits0 + 1);

    /* the same under NOT: the row that hit the limit counts as no match */
    s = compile_ok("{'not':{'field':'family_name','op':'regex',"
                   "'value':'(a+)+$'}}");
    got = run_ids(st->db, s, TENANT);
    assert_int_equal(strncmp(got, "1,2,3,", 6), 0);
    assert_non_null(strstr(got, ",47,48"));
    free(got);
    hrx_search_free(s);

    /* a pattern that matches quickly still matches that row */
    expect_ids(st->db, "{'field':'family_name','op':'regex',"
               "'value':'^a{33}b$'}", "48");
}


static int
scalar_int(sqlite3 *db, const char *sql, int *rc)
{
    int            v;
    sqlite3_stmt  *stmt;

    v = -1;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
                     SQLITE_OK);
    *rc = sqlite3_step(stmt);

    if (*rc == SQLITE_ROW) {
        v = sqlite3_column_type(stmt, 0) == SQLITE_NULL
            ? -2 : sqlite3_column_int(stmt, 0);
    }

    sqlite3_finalize(stmt);
    return v;
}


static void
test_search_regexp_function(void **state)
{
    int              rc;
    uint64_t         c0, c1;
    hrx_search_t    *s;
    sqlite3_stmt    *stmt;
    search_state_t  *st = *state;

    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp('^a', 'abc')",
                                &rc), 1);
    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp('^b', 'abc')",
                                &rc), 0);
    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp(NULL, 'abc')",
                                &rc), 0);
    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp('a', NULL)",
                                &rc), 0);
    /* numbers are matched as their text */
    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp('^4', 42)",
                                &rc), 1);
    /* UTF: . is one character, not one byte */
    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp('^.$', '学')",
                                &rc), 1);
    assert_int_equal(scalar_int(st->db,
                                "SELECT hrx_regexp('^\\p{Katakana}+$', "
                                "'ヤマダ')", &rc), 1);
    /* not UTF-8: no match rather than an error */
    assert_int_equal(scalar_int(st->db, "SELECT hrx_regexp('a', "
                                "CAST(x'61ff' AS TEXT))", &rc), 0);
    /* a bad pattern (not one that passed validation) fails the query */
    scalar_int(st->db, "SELECT hrx_regexp('(', 'a')", &rc);
    assert_int_equal(rc, SQLITE_ERROR);
    assert_non_null(strstr(sqlite3_errmsg(st->db), "hrx_regexp"));

    /* the pattern is compiled once per statement, not once per row */
    s = compile_ok("{'field':'email','op':'regex','value':'^user'}");
    hrx_regexp_stats(&c0, NULL);
    free(run_ids(st->db, s, TENANT));
    hrx_regexp_stats(&c1, NULL);
    assert_true(c1 - c0 >= 1 && c1 - c0 <= 2);
    hrx_search_free(s);

    /* deterministic: usable where SQLite demands it (an index expression) */
    assert_int_equal(sqlite3_prepare_v2(st->db, "CREATE INDEX t_rx ON"
                                        " candidates(hrx_regexp('^a',"
                                        " family_name))", -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_finalize(stmt);
    scalar_int(st->db, "DROP INDEX t_rx", &rc);
    assert_int_equal(rc, SQLITE_DONE);
}


/* RFC 3339 ---------------------------------------------------------------- */


static void
test_search_parse_time(void **state)
{
    size_t   i;
    int64_t  ms;

    static const struct {
        const char  *s;
        int64_t      ms;
    } good[] = {
        { "1970-01-01T00:00:00Z", 0 },
        { "2026-04-01T09:00:00+09:00", 1775001600000LL },
        { "2026-04-01t00:00:00z", 1775001600000LL },
        { "2026-04-01 00:00:00Z", 1775001600000LL },
        { "2026-04-01T00:00:00.5Z", 1775001600500LL },
        { "2026-04-01T00:00:00.123456789Z", 1775001600123LL },
        { "2026-04-01T00:00:00.000+00:00", 1775001600000LL },
        { "2024-02-29T23:59:59Z", 1709251199000LL },
        { "1969-12-31T23:59:59Z", -1000 },
        { "2000-03-01T00:00:00-05:30", 951888600000LL },
        { "9999-12-31T23:59:59Z", 253402300799000LL },
        { "0001-01-01T00:00:00Z", -62135596800000LL },
    };

    static const char *const bad[] = {
        "", "2026-04-01", "2026-04-01T00:00Z", "2026-04-01T00:00:00",
        "2026-04-01T00:00:00+0900", "2026-04-01T00:00:00+09",
        "2026-4-01T00:00:00Z", "2026-04-01T24:00:00Z",
        "2026-04-01T00:60:00Z", "2026-04-01T00:00:60Z",
        "2026-00-01T00:00:00Z", "2026-04-31T00:00:00Z",
        "2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
        "2026-04-01T00:00:00.Z", "2026-04-01T00:00:00ZZ",
        "2026-04-01T00:00:00+24:00", "2026-04-01T00:00:00+09:60",
        "2026-04-01X00:00:00Z", "+2026-04-01T00:00:00Z",
        "2026-04-01T00:00:00 Z",
    };

    (void) state;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ms = 42;
        if (hrx_search_parse_time(good[i].s, strlen(good[i].s), &ms) != 0
            || ms != good[i].ms)
        {
            fail_msg("%s: got %lld, expected %lld", good[i].s,
                     (long long) ms, (long long) good[i].ms);
        }
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (hrx_search_parse_time(bad[i], strlen(bad[i]), &ms) == 0) {
            fail_msg("%s: accepted", bad[i]);
        }
    }

    /* 2000 is a leap year, 1900 was not */
    assert_int_equal(hrx_search_parse_time("2000-02-29T00:00:00Z", 20, &ms),
                     0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_search_cases,
                                        search_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_not_is_complement,
                                        search_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_tenant,
                                        search_setup, search_teardown),
        cmocka_unit_test(test_search_sql_text),
        cmocka_unit_test_setup_teardown(test_search_bind_index,
                                        search_setup, search_teardown),
        cmocka_unit_test(test_search_errors),
        cmocka_unit_test(test_search_error_null),
        cmocka_unit_test_setup_teardown(test_search_limits,
                                        search_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_injection,
                                        search_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_regex_catastrophic,
                                        search_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_regexp_function,
                                        search_setup, search_teardown),
        cmocka_unit_test(test_search_parse_time),
        cmocka_unit_test_setup_teardown(test_search_text_same,
                                        text_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_text_sync_pending,
                                        text_setup, search_teardown),
        cmocka_unit_test_setup_teardown(test_search_text_sync_indexed,
                                        text_setup, search_teardown),
        cmocka_unit_test(test_search_text_migration),
        cmocka_unit_test_setup_teardown(test_search_plans,
                                        search_setup, search_teardown),
    };

    return cmocka_run_group_tests_name("hrx_search", tests, NULL, NULL);
}
