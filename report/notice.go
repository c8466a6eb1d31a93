package report

// Notice is something a report tells its reader to do that names the
// command's flags. The engine and the merge say what (a kind and its
// figures, Report.Notices); the command, which alone knows its flags,
// words it into the report's warnings or rule reasons before the report
// is written, and clears the list.
type Notice struct {
	Kind NoticeKind
	// Flows and Held are NoticeUnjudged's: how many flows ended before
	// the server could be inferred, and the most held at once meanwhile.
	Flows, Held int
	// Merged is NoticeNoServer's: said of a merge, where no report had a
	// server.
	Merged bool
}

// NoticeKind is what a Notice tells.
type NoticeKind uint8

const (
	// NoticeUnjudged: flows ended before the server was inferred and
	// were not judged; giving the server would judge them. A warning.
	NoticeUnjudged NoticeKind = iota + 1
	// NoticeNoServer: no rule is judged for want of a server; the
	// candidates, or giving the server, would. Every rule's reason.
	NoticeNoServer
)
