package synth

// HostileNames are capture file and zip member names written to break
// out of wherever a report or a site file quotes them: each YAML line
// break (LF, CR, NEL, U+2028, U+2029) followed by keys that would hide a
// blocked rule, YAML's indicators and document markers, quotes, tabs, a
// bidirectional override and invalid UTF-8. None holds '/' or NUL, so
// every one is also a file name on Unix.
func HostileNames() []string {
	return []string{
		"day\u2028ignore: [{id: hide, transport: tcp, ports: \"1-65535\"}]\u2028remove_rules: [adws-out]\u2028#.pcap",
		"day\u2029remove_rules: [adws-out]\u2029#.pcap",
		"day\u0085remove_rules: [adws-out]\u0085#.pcap",
		"day\nremove_rules: [adws-out]\n#.pcap",
		"day\r\nignore:\r\n  - {id: hide, transport: tcp, ports: 1-65535}\r\n#.pcap",
		"day\rremove_rules: [adws-out]\r#.pcap",
		"day\vremove_rules: [adws-out]\f#.pcap",
		`it's "quoted": yes # not a comment.pcap`,
		"{flow: map}, [seq]: x.pcap",
		"- item: x.pcap",
		"&anchor *alias !!tag <<: x.pcap",
		"---\nremove_rules: [adws-out]\n....pcap",
		"...\n--- !!map\nremove_rules: [adws-out]\n.pcap",
		"%YAML 1.1\n---\nremove_rules: [adws-out].pcap",
		"\ttab\tname:\tx.pcap",
		"day\u202egnp.pcap",
		"\xff\xfe not UTF-8 \xc3.pcap",
		"| > ` @ ? : , [ ] { } = ~ null.pcap",
	}
}
