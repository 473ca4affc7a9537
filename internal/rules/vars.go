package rules

import "maps"

// Vars maps rule variable names (without the '$') to their values: address
// groups such as HOME_NET and port groups such as HTTP_PORTS, written as in
// suricata.yaml ("[192.168.0.0/16,10.0.0.0/8]", "!$HOME_NET", "80").
type Vars map[string]string

// DefaultVars returns the address and port groups of Suricata's default
// suricata.yaml. A sensor on public addresses sets HOME_NET to its own
// networks (or "any"): with the default, private HOME_NET, rules written
// "$EXTERNAL_NET -> $HOME_NET" do not match traffic to public addresses.
func DefaultVars() Vars {
	return Vars{
		"HOME_NET":       "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]",
		"EXTERNAL_NET":   "!$HOME_NET",
		"HTTP_SERVERS":   "$HOME_NET",
		"SMTP_SERVERS":   "$HOME_NET",
		"SQL_SERVERS":    "$HOME_NET",
		"DNS_SERVERS":    "$HOME_NET",
		"TELNET_SERVERS": "$HOME_NET",
		"AIM_SERVERS":    "$EXTERNAL_NET",
		"DC_SERVERS":     "$HOME_NET",
		"DNP3_SERVER":    "$HOME_NET",
		"DNP3_CLIENT":    "$HOME_NET",
		"MODBUS_CLIENT":  "$HOME_NET",
		"MODBUS_SERVER":  "$HOME_NET",
		"ENIP_CLIENT":    "$HOME_NET",
		"ENIP_SERVER":    "$HOME_NET",

		"HTTP_PORTS":      "80",
		"SHELLCODE_PORTS": "!80",
		"ORACLE_PORTS":    "1521",
		"SSH_PORTS":       "22",
		"DNP3_PORTS":      "20000",
		"MODBUS_PORTS":    "502",
		"FILE_DATA_PORTS": "[$HTTP_PORTS,110,143]",
		"FTP_PORTS":       "21",
		"GENEVE_PORTS":    "6081",
		"VXLAN_PORTS":     "4789",
		"TEREDO_PORTS":    "3544",
	}
}

// With returns a copy of v with the given variables set.
func (v Vars) With(kv map[string]string) Vars {
	out := maps.Clone(v)
	if out == nil {
		out = Vars{}
	}
	maps.Copy(out, kv)
	return out
}
