package storecache

import (
	"reflect"
	"sync"
)

// clone deep-copies v: slices, maps, pointers and structs (exported and
// unexported fields alike, through reflect.Value's Set on a new value),
// so a cached answer is never shared with a caller.
func clone[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	out := reflect.New(rv.Type()).Elem()
	deep(out, rv)
	return out.Interface().(T)
}

func deep(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		n := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if plain(src.Type().Elem()) {
			reflect.Copy(n, src)
		} else {
			for i := 0; i < src.Len(); i++ {
				deep(n.Index(i), src.Index(i))
			}
		}
		dst.Set(n)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		n := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			v := reflect.New(src.Type().Elem()).Elem()
			deep(v, it.Value())
			n.SetMapIndex(it.Key(), v)
		}
		dst.Set(n)
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		n := reflect.New(src.Type().Elem())
		deep(n.Elem(), src.Elem())
		dst.Set(n)
	case reflect.Struct:
		if plain(src.Type()) {
			// Values such as netip.Addr, time.Time and civil.Day are
			// immutable: copied as they are.
			dst.Set(src)
			return
		}
		for i := 0; i < src.NumField(); i++ {
			deep(dst.Field(i), src.Field(i))
		}
	case reflect.Array:
		for i := 0; i < src.Len(); i++ {
			deep(dst.Index(i), src.Index(i))
		}
	default:
		dst.Set(src)
	}
}

// plainTypes memoizes plain.
var plainTypes sync.Map // reflect.Type -> bool

// plain reports whether values of t hold no reference a caller could
// change through (no slice, map or pointer, interface or func). A struct
// with unexported fields (netip.Addr, time.Time, civil.Day) is a value
// its package keeps immutable: plain.
func plain(t reflect.Type) bool {
	if v, ok := plainTypes.Load(t); ok {
		return v.(bool)
	}
	p := isPlain(t)
	plainTypes.Store(t, p)
	return p
}

func isPlain(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return false
	case reflect.Struct:
		if !allExported(t) {
			return true
		}
		for i := 0; i < t.NumField(); i++ {
			if !plain(t.Field(i).Type) {
				return false
			}
		}
	case reflect.Array:
		return plain(t.Elem())
	}
	return true
}

func allExported(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if !t.Field(i).IsExported() {
			return false
		}
	}
	return true
}

// sizeOf estimates the memory of an answer: slices and maps by their
// length times their elements' estimated size (from up to 8 elements,
// for those holding slices, maps or strings), nested up to three levels
// (enough to bound a cache of question answers, not an exact count).
func sizeOf(v any) int64 { return sizeOfValue(reflect.ValueOf(v), 0) }

func sizeOfValue(rv reflect.Value, depth int) int64 {
	if !rv.IsValid() {
		return 0
	}
	t := rv.Type()
	base := int64(t.Size())
	if depth >= 3 {
		return base
	}
	switch rv.Kind() {
	case reflect.String:
		return base + int64(rv.Len())
	case reflect.Slice:
		n := rv.Len()
		if n == 0 {
			return base
		}
		if plain(t.Elem()) && t.Elem().Kind() != reflect.String {
			return base + int64(n)*int64(t.Elem().Size())
		}
		k := min(n, 8)
		var sum int64
		for i := 0; i < k; i++ {
			sum += sizeOfValue(rv.Index(i), depth+1)
		}
		return base + sum*int64(n)/int64(k)
	case reflect.Map:
		return base + int64(rv.Len())*int64(t.Key().Size()+t.Elem().Size())*2
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return base
		}
		return base + sizeOfValue(rv.Elem(), depth+1)
	case reflect.Struct:
		if plain(t) {
			return base
		}
		var sum int64
		for i := 0; i < rv.NumField(); i++ {
			if f := rv.Field(i); f.CanInterface() {
				sum += sizeOfValue(f, depth+1) - int64(f.Type().Size())
			}
		}
		return base + sum
	}
	return base
}
