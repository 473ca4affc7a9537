package config

import "reflect"

func equalJSON(a, b any) bool { return reflect.DeepEqual(a, b) }
