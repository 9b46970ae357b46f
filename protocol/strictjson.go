package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// maxJSONDepth bounds nesting in any JSON the kiosk or center parses.
const maxJSONDepth = 16

// decodeStrict decodes one JSON object into v, refusing unknown members,
// duplicate keys at any depth (also keys equal but for case), member names
// that match a field only case-insensitively, excessive nesting and
// trailing data. Such inputs are refused because two parsers may read them
// differently.
func decodeStrict(data []byte, v any) error {
	if err := checkJSONShape(data); err != nil {
		return err
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if err := checkExactKeys(tree, reflect.TypeOf(v), "$"); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("json: trailing data after object")
	}
	return nil
}

// checkJSONShape walks the token stream: the top level must be an object,
// keys unique within each object, depth bounded.
func checkJSONShape(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	first := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return errors.New("json: unterminated")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("json: %w", err)
		}
		if first {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return errors.New("json: top level is not an object")
			}
			first = false
		} else if len(stack) == 0 {
			return errors.New("json: trailing data after object")
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.isObject && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValue(stack)
				continue
			}
			k, ok := tok.(string)
			if !ok {
				return errors.New("json: object key is not a string")
			}
			if top.keys[strings.ToLower(k)] {
				return fmt.Errorf("json: duplicate key %.40q", k)
			}
			top.keys[strings.ToLower(k)] = true
			top.expectKey = false
			continue
		}
		switch d := tok.(type) {
		case json.Delim:
			switch d {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return errors.New("json: nested too deeply")
				}
				stack = append(stack, &jsonFrame{keys: map[string]bool{}, isObject: d == '{', expectKey: d == '{'})
			case ']':
				stack = stack[:len(stack)-1]
				markValue(stack)
			}
		default:
			markValue(stack)
		}
	}
}

// jsonFrame is one open object or array during checkJSONShape.
type jsonFrame struct {
	keys      map[string]bool
	isObject  bool
	expectKey bool
}

// markValue records that the innermost object received a member's value,
// so the next token must be a key or the closing brace.
func markValue(stack []*jsonFrame) {
	if n := len(stack); n > 0 && stack[n-1].isObject {
		stack[n-1].expectKey = true
	}
}

// checkExactKeys walks a decoded JSON tree beside the Go type it will be
// decoded into and refuses any object member whose name is not exactly
// (case-sensitively) a json tag of the struct. encoding/json alone would
// accept "RID" for "rid".
func checkExactKeys(node any, t reflect.Type, path string) error {
	if node == nil && t.Kind() == reflect.Pointer {
		// An optional member (a pointer: doc.members) is present or left
		// out; null would be a second text for "absent".
		return fmt.Errorf("json: null at %s: leave the member out", path)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n := node.(type) {
	case map[string]any:
		switch t.Kind() {
		case reflect.Struct:
			fields := jsonFields(t)
			for k, child := range n {
				ft, ok := fields[k]
				if !ok {
					return fmt.Errorf("json: unknown member %.40q at %s", k, path)
				}
				if err := checkExactKeys(child, ft, path+"."+k); err != nil {
					return err
				}
			}
		case reflect.Map:
			for k, child := range n {
				if err := checkExactKeys(child, t.Elem(), path+"."+k); err != nil {
					return err
				}
			}
		}
	case []any:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, child := range n {
				if err := checkExactKeys(child, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// jsonFields maps the exact json names of a struct's fields (embedded
// structs flattened) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
