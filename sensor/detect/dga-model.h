/*
 * A small model of how "made up by a program" a domain label looks, for the
 * dga and dns-tunnel detectors.
 *
 * The model knows English letter-pair (bigram) frequencies, written into
 * dga-model.c as a table from general knowledge of English text (the usual
 * published counts, rounded); it is not trained on malware lists.  A label
 * is scored on
 *   - how ordinary its letter pairs are (mean log-likelihood ratio of each
 *     pair against uniformly random letters),
 *   - the longest run of consonants,
 *   - how often it switches between letters and digits,
 *   - its length (short labels carry little evidence: at most a weak score).
 * The score is in hundredths; positive means "looks generated", and
 * OT_DGA_THRESHOLD is the default cut (tests/unit/sensor/detect/
 * test_dga_model.c measures precision and recall on nDPI's labelled lists).
 *
 * The model is a plain table (676 bytes) built once by ot_dga_model_init()
 * into memory the caller owns; scoring is allocation-free and linear in the
 * label length.
 */
#ifndef OT_SENSOR_DGA_MODEL_H
#define OT_SENSOR_DGA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Labels shorter than this are never called generated (too little evidence). */
#define OT_DGA_MIN_LEN 6
/* Default decision threshold (hundredths); detect.dga.min-score. */
#define OT_DGA_THRESHOLD 100

struct ot_dga_model {
    int8_t llr[26][26]; /* log2(P(ab) / (1/676)) * 8, clamped */
};

void ot_dga_model_init(struct ot_dga_model *m);

/*
 * Score one label (no dots; case-insensitive; other bytes than letters,
 * digits and '-' make it "not a name we judge": score INT32_MIN).
 */
int32_t ot_dga_score(const struct ot_dga_model *m, const char *label, size_t len);

/* Shannon entropy of the bytes, in hundredths of a bit per byte. */
uint32_t ot_dga_entropy(const char *s, size_t len);

#endif
