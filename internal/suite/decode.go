package suite

// Decode decodes a JSON or YAML document into v the way Parse decodes a
// suite: YAML goes through the same guarded conversion to JSON (one
// document, aliases and merge keys expanding to at most MaxJSON), so JSON
// field names serve both formats, and a field v lacks is an error. It is
// for the other files users write in a suite's formats, such as a sweep spec.
func Decode(data []byte, v any) error {
	js, err := toJSON(data)
	if err != nil {
		return err
	}
	return decodeStrict(js, v)
}
