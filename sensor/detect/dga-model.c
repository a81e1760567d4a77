/*
 * The DGA label model (dga-model.h).
 */
#include "detect/dga-model.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/*
 * English letter pairs and how often each occurs in running text, in
 * hundredths of a percent (TH = 3.56 %), from general knowledge of the
 * published English bigram counts, rounded.  Pairs not listed get FLOOR.
 * Written by hand, not learnt from any malware list.
 */
static const struct {
    char ab[3];
    uint16_t f;
} bigrams[] = {
    {"th", 356}, {"he", 307}, {"in", 243}, {"er", 205}, {"an", 199}, {"re", 185}, {"on", 176},
    {"at", 149}, {"en", 145}, {"nd", 135}, {"ti", 134}, {"es", 134}, {"or", 128}, {"te", 120},
    {"of", 117}, {"ed", 117}, {"is", 113}, {"it", 112}, {"al", 109}, {"ar", 107}, {"st", 105},
    {"to", 104}, {"nt", 104}, {"ng", 95},  {"se", 93},  {"ha", 93},  {"as", 87},  {"ou", 87},
    {"io", 83},  {"le", 83},  {"ve", 83},  {"co", 79},  {"me", 79},  {"de", 76},  {"hi", 76},
    {"ri", 73},  {"ro", 73},  {"ic", 70},  {"ne", 69},  {"ea", 69},  {"ra", 69},  {"ce", 65},
    {"li", 62},  {"ch", 60},  {"ll", 58},  {"be", 58},  {"ma", 57},  {"si", 55},  {"om", 55},
    {"ur", 54},  {"ca", 54},  {"el", 53},  {"ta", 53},  {"la", 52},  {"ns", 51},  {"di", 50},
    {"fo", 50},  {"ho", 50},  {"pe", 49},  {"ec", 48},  {"pr", 48},  {"no", 47},  {"ct", 46},
    {"us", 45},  {"ac", 45},  {"ot", 44},  {"il", 43},  {"tr", 43},  {"ly", 43},  {"nc", 42},
    {"et", 42},  {"ut", 41},  {"ss", 41},  {"so", 40},  {"rs", 40},  {"un", 39},  {"lo", 39},
    {"wa", 39},  {"ge", 38},  {"ie", 38},  {"wh", 38},  {"ee", 38},  {"wi", 37},  {"em", 37},
    {"ad", 37},  {"ol", 36},  {"rt", 36},  {"po", 35},  {"we", 35},  {"na", 35},  {"ul", 35},
    {"ni", 34},  {"ts", 34},  {"mo", 34},  {"ow", 33},  {"pa", 32},  {"im", 32},  {"mi", 32},
    {"ai", 32},  {"sh", 32},  {"ir", 32},  {"su", 31},  {"id", 30},  {"os", 29},  {"iv", 29},
    {"ia", 29},  {"am", 28},  {"fi", 28},  {"ci", 28},  {"vi", 27},  {"pl", 26},  {"ig", 26},
    {"tu", 26},  {"ev", 25},  {"ld", 25},  {"ry", 25},  {"mp", 25},  {"fe", 25},  {"bl", 25},
    {"ab", 23},  {"gh", 23},  {"ty", 22},  {"op", 22},  {"wo", 22},  {"sa", 22},  {"ay", 22},
    {"ex", 22},  {"ke", 21},  {"fr", 21},  {"oo", 21},  {"av", 20},  {"ag", 20},  {"if", 20},
    {"ap", 20},  {"gr", 20},  {"od", 20},  {"bo", 19},  {"sp", 19},  {"rd", 19},  {"do", 19},
    {"uc", 19},  {"bu", 18},  {"ei", 18},  {"ov", 18},  {"by", 18},  {"rm", 18},  {"ep", 17},
    {"tt", 17},  {"oc", 17},  {"fa", 16},  {"ef", 16},  {"cu", 16},  {"rn", 16},  {"sc", 15},
    {"gi", 15},  {"da", 15},  {"yo", 15},  {"cr", 15},  {"cl", 15},  {"du", 15},  {"ga", 15},
    {"qu", 15},  {"ue", 15},  {"ff", 15},  {"ba", 15},  {"ey", 14},  {"ls", 14},  {"va", 14},
    {"um", 14},  {"pp", 14},  {"ua", 14},  {"up", 14},  {"lu", 14},  {"go", 14},  {"ht", 13},
    {"ru", 13},  {"ug", 13},  {"ds", 13},  {"lt", 12},  {"pi", 12},  {"rc", 12},  {"rr", 12},
    {"eg", 12},  {"au", 12},  {"ck", 12},  {"ew", 12},  {"mu", 11},  {"br", 11},  {"bi", 11},
    {"pt", 11},  {"ak", 11},  {"pu", 11},  {"ui", 10},  {"rg", 10},  {"ib", 10},  {"tl", 10},
    {"ny", 10},  {"ki", 10},  {"rk", 10},  {"ys", 10},  {"ob", 10},  {"mm", 10},  {"fu", 10},
    {"ph", 9},   {"og", 9},   {"ms", 9},   {"ye", 9},   {"ud", 9},   {"mb", 8},   {"ip", 8},
    {"ub", 8},   {"oi", 8},   {"rl", 8},   {"gu", 8},   {"dr", 8},   {"hr", 8},   {"cc", 8},
    {"tw", 8},   {"ft", 8},   {"wn", 8},   {"nu", 8},   {"af", 7},   {"hu", 7},   {"nn", 7},
    {"eo", 7},   {"vo", 7},   {"rv", 7},   {"nf", 7},   {"xp", 6},   {"gn", 6},   {"sm", 6},
    {"fl", 6},   {"iz", 6},   {"ok", 6},   {"nl", 6},   {"my", 6},   {"gl", 6},   {"aw", 6},
    {"ju", 6},   {"oa", 6},   {"eq", 6},   {"sy", 6},   {"sl", 6},   {"ps", 6},   {"jo", 5},
    {"lf", 5},   {"nv", 5},   {"je", 5},   {"nk", 5},   {"kn", 5},   {"gs", 5},   {"dy", 5},
    {"hy", 5},   {"ze", 5},   {"ks", 5},   {"xt", 5},   {"bs", 5},   {"ik", 5},   {"dd", 5},
    {"cy", 5},   {"rp", 5},   {"sk", 5},   {"xi", 4},   {"oe", 4},   {"oy", 4},   {"ws", 4},
    {"lv", 4},   {"dl", 4},   {"rf", 4},   {"eu", 4},   {"dg", 4},   {"wr", 4},   {"xa", 4},
    {"yi", 4},   {"nm", 4},   {"eb", 4},   {"rb", 4},   {"tm", 4},   {"xc", 4},   {"eh", 4},
    {"tc", 4},   {"gy", 4},   {"ja", 4},   {"hn", 4},   {"yp", 3},   {"za", 3},   {"gg", 3},
    {"ym", 3},   {"sw", 3},   {"lm", 3},   {"cs", 3},   {"ii", 3},   {"ix", 3},   {"xe", 3},
    {"oh", 3},   {"lk", 3},   {"dv", 3},   {"lp", 3},   {"ax", 3},   {"ox", 3},   {"uf", 3},
    {"dm", 3},   {"iu", 3},   {"sf", 3},   {"bt", 3},   {"ka", 3},   {"yt", 3},   {"ek", 3},
    {"pm", 3},   {"ya", 3},   {"gt", 3},   {"wl", 3},   {"rh", 3},   {"yl", 3},   {"hs", 3},
    {"ah", 3},   {"yc", 3},   {"yn", 2},   {"rw", 2},   {"hm", 2},   {"lw", 2},   {"hl", 2},
    {"ae", 2},   {"zi", 2},   {"az", 2},   {"lc", 2},   {"py", 2},   {"aj", 2},   {"iq", 2},
    {"nj", 2},   {"bb", 2},   {"nh", 2},   {"uo", 2},   {"kl", 2},   {"lr", 2},   {"tn", 2},
    {"gm", 2},   {"sn", 2},   {"nr", 2},   {"fy", 2},   {"mn", 2},   {"dw", 2},   {"sb", 2},
    {"yr", 2},   {"dn", 2},   {"sq", 2},   {"zo", 2},   {"oj", 2},   {"yd", 2},   {"lb", 2},
    {"wt", 2},   {"lg", 2},   {"ko", 2},   {"np", 2},   {"sr", 2},   {"ky", 2},   {"ln", 2},
    {"nw", 2},   {"tf", 2},   {"fs", 2},   {"dh", 2},   {"sd", 2},   {"vy", 2},   {"dj", 2},
    {"hw", 2},   {"xu", 2},   {"ao", 2},   {"ml", 2},   {"uk", 2},   {"uy", 2},   {"ej", 2},
    {"ez", 2},   {"hb", 2},   {"nz", 2},   {"nb", 2},   {"mc", 2},   {"yb", 2},   {"tp", 2},
    {"xh", 1},   {"ux", 1},   {"tz", 1},   {"mf", 1},   {"wd", 1},   {"oz", 1},   {"yw", 1},
    {"kh", 1},   {"gd", 1},   {"bm", 1},   {"mr", 1},   {"ku", 1},   {"uv", 1},   {"dt", 1},
    {"hd", 1},   {"aa", 1},   {"xx", 1},   {"df", 1},   {"db", 1},   {"ji", 1},   {"kr", 1},
    {"xo", 1},   {"cm", 1},   {"zz", 1},   {"nx", 1},   {"yg", 1},   {"xy", 1},   {"kg", 1},
    {"tb", 1},   {"dc", 1},   {"bd", 1},   {"sg", 1},   {"wy", 1},   {"zy", 1},   {"aq", 1},
    {"hf", 1},   {"cd", 1},   {"vu", 1},   {"kw", 1},   {"zu", 1},   {"bn", 1},   {"ih", 1},
    {"tg", 1},   {"uz", 1},   {"bc", 1},   {"km", 1},   {"dp", 1},   {"lh", 1},   {"mt", 1},
    {"yu", 1},   {"cp", 1},   {"pb", 1},   {"td", 1},   {"sv", 1},   {"hc", 1},   {"mg", 1},
    {"pw", 1},   {"pn", 1},   {"pk", 1},   {"pc", 1},   {"gb", 1},   {"bj", 1},   {"gw", 1},
};

/* A pair never listed: rarer than the rarest listed one. */
#define FLOOR 0.15
#define SCALE 8 /* llr units per bit */

void ot_dga_model_init(struct ot_dga_model *m)
{
    double f[26][26];
    for (int a = 0; a < 26; a++)
        for (int b = 0; b < 26; b++)
            f[a][b] = FLOOR;
    for (size_t i = 0; i < sizeof(bigrams) / sizeof(bigrams[0]); i++)
        f[bigrams[i].ab[0] - 'a'][bigrams[i].ab[1] - 'a'] = bigrams[i].f;
    double total = 0;
    for (int a = 0; a < 26; a++)
        for (int b = 0; b < 26; b++)
            total += f[a][b];
    for (int a = 0; a < 26; a++)
        for (int b = 0; b < 26; b++) {
            double v = log2(f[a][b] / total * 676.0) * SCALE;
            if (v > 127)
                v = 127;
            if (v < -127)
                v = -127;
            m->llr[a][b] = (int8_t)lrint(v);
        }
}

static bool is_vowel(int c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/*
 * The score, in hundredths: a linear score over the label's features.  The
 * features and the pair table are ours; the weights were fitted once by
 * logistic regression on the even lines of nDPI's labelled lists and
 * rounded (the odd lines measure it: docs/detections/dga.md), so 0 is "as
 * likely generated as not" and OT_DGA_THRESHOLD keeps false positives near
 * 4 %.
 */
int32_t ot_dga_score(const struct ot_dga_model *m, const char *label, size_t len)
{
    if (len == 0 || len > 63)
        return INT32_MIN;
    /* An internationalised name (punycode): its letters are not English. */
    if (len >= 4 && strncasecmp(label, "xn--", 4) == 0)
        return INT32_MIN;
    int32_t llr_sum = 0;
    int32_t pairs = 0, rare1 = 0, rare3 = 0, digits = 0, switches = 0;
    int32_t run = 0, max_run = 0, vowels = 0, letters = 0;
    int prev = -1;     /* previous letter index, or -1 after a digit/hyphen */
    int prev_kind = 0; /* 1 letter, 2 digit, 0 hyphen */
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)label[i];
        if (c >= 'A' && c <= 'Z')
            c += 'a' - 'A';
        int kind;
        if (c >= 'a' && c <= 'z') {
            kind = 1;
            letters++;
            if (prev >= 0) {
                int v = m->llr[prev][c - 'a'];
                llr_sum += v;
                pairs++;
                if (v < -1 * SCALE)
                    rare1++;
                if (v < -3 * SCALE)
                    rare3++;
            }
            prev = c - 'a';
            if (is_vowel(c)) {
                vowels++;
                run = 0;
            } else if (++run > max_run) {
                max_run = run;
            }
        } else if (c >= '0' && c <= '9') {
            kind = 2;
            digits++;
            prev = -1;
            run = 0;
        } else if (c == '-') {
            kind = 0;
            prev = -1;
            run = 0;
        } else {
            return INT32_MIN;
        }
        if (prev_kind && kind && kind != prev_kind)
            switches++;
        prev_kind = kind;
    }
    int32_t n = (int32_t)len;
    /* Mean pair log-likelihood ratio in hundredths of a bit, clamped to [-6, 4] bits. */
    int32_t mean = pairs ? llr_sum * 100 / (pairs * SCALE) : 0;
    mean = mean < -600 ? -600 : mean > 400 ? 400 : mean;
    int32_t frac_rare = pairs ? rare1 * 100 / pairs : 0; /* percent */
    int32_t s = -340;
    s -= mean * 55 / 100;                      /* ordinary pairs: less generated */
    s -= frac_rare * 120 / 100;                /* (with the counts below) */
    s += (rare1 > 12 ? 12 : rare1) * 18;       /* pairs rarer than 1/2 of random */
    s += (rare3 > 10 ? 10 : rare3) * 35;       /* pairs rarer than 1/8 of random */
    s += (max_run > 3 ? max_run - 3 : 0) * 44; /* consonant runs words do not have */
    s += letters ? vowels * 330 / letters : 0; /* offsets the rare-pair terms */
    s -= digits * 200 / n;                     /* "web2", "365scores": digits alone */
    s += (switches > 6 ? 6 : switches) * 43;   /* letters and digits interleaved */
    s += (n > 30 ? 30 : n) * 10;               /* generated labels run long */
    if (len < OT_DGA_MIN_LEN && s >= OT_DGA_THRESHOLD)
        s = OT_DGA_THRESHOLD - 1;
    return s;
}

uint32_t ot_dga_entropy(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    unsigned cnt[256];
    memset(cnt, 0, sizeof(cnt));
    for (size_t i = 0; i < len; i++)
        cnt[(unsigned char)s[i]]++;
    double h = 0;
    for (int i = 0; i < 256; i++) {
        if (!cnt[i])
            continue;
        double p = (double)cnt[i] / (double)len;
        h -= p * log2(p);
    }
    return (uint32_t)lrint(h * 100);
}
