package gateway

import (
	"regexp"
	"slices"
	"strings"
)

// MaxTags bounds the tags on one person; a tag is at most 32 characters.
const MaxTags = 10

// TagSeparator separates tags in one CSV cell ("crew-a;spring-2027"): a
// comma would split the cell itself in spreadsheets that do not quote.
const TagSeparator = ";"

// tagRE is a tag: lower-case letters, digits and inner hyphens, so that a
// tag reads the same in a URL, a CSV cell and a filter, and never needs
// escaping in a LIKE pattern or in HTML.
var tagRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$`)

// NormalizeTag trims and lower-cases one tag and checks it (tag_invalid).
func NormalizeTag(tag string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(tag))
	if !tagRE.MatchString(t) {
		return "", Errorf(KindInvalid, "tag_invalid",
			"tag %q: use 1 to 32 lower-case letters, digits and hyphens (e.g. crew-a, spring-2027)", Clip(tag, 40))
	}
	return t, nil
}

// NormalizeTags checks a person's tags and returns them sorted, without
// repeats (too_many_tags past MaxTags).
func NormalizeTags(in []string) ([]string, error) {
	out := make([]string, 0, len(in))
	for _, t := range in {
		n, err := NormalizeTag(t)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		return nil, Errorf(KindInvalid, "too_many_tags", "at most %d tags per person", MaxTags)
	}
	return out, nil
}

// ParseTags reads a CSV cell of tags separated by TagSeparator; empty
// parts are ignored.
func ParseTags(cell string) ([]string, error) {
	return NormalizeTags(SplitTags(cell))
}

// SplitTags splits a cell of tags as typed, unchecked (a form keeps
// what was typed to show it back beside its error).
func SplitTags(cell string) []string {
	var parts []string
	for _, p := range strings.Split(cell, TagSeparator) {
		if strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

// TagCell is a person's tags as one cell, as the CSV and the console's
// form write them.
func TagCell(tags []string) string { return strings.Join(tags, TagSeparator) }
