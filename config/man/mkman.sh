#!/bin/sh
# mkman.sh - the man pages, from the texts users already read:
# pokerface(1) from the --help of the command and of each subcommand,
# pokerface.json(5) from the README's "Configuration" section (its text and
# its table of keys), so neither can drift from them.
#
#   sh config/man/mkman.sh BINARY README VERSION SYSCONFDIR OUTDIR
set -eu
bin=$1 readme=$2 version=$3 sysconfdir=$4 out=$5
mkdir -p "$out"

# roff-safe: backslashes, and lines that would read as requests
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
    printf '.TH POKERFACE 1 "" "pokerface %s" "User Commands"\n' "$version"
    printf '.SH NAME\npokerface \\- hold backstage talk before it reaches a customer\n'
    printf '.SH SYNOPSIS\n.B pokerface\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n'
    printf '.SH DESCRIPTION\n.nf\n'
    "$bin" --help | esc
    printf '.fi\n.SH COMMANDS\n'
    for cmd in run check eval bench train queue status keygen web-login; do
        printf '.SS pokerface %s\n.nf\n' "$cmd"
        "$bin" "$cmd" --help | esc
        printf '.fi\n'
    done
    printf '.SH FILES\n.TP\n.I %s/pokerface/pokerface.json\n' "$sysconfdir"
    printf 'the configuration of the pokerface service (pokerface.json(5))\n'
    printf '.TP\n.I %s/pokerface/password\n' "$sysconfdir"
    printf 'the bot account'"'"'s password, handed to the service as the credential \\fBpassword\\fR (LoadCredential=)\n'
    printf '.TP\n.I /var/lib/pokerface\n'
    printf 'the service'"'"'s state directory: the journal of held messages, its key, the control socket\n'
    printf '.SH SEE ALSO\n.BR pokerface.json (5),\n.BR systemctl (1),\n.BR systemd.exec (5)\n'
} >"$out/pokerface.1"

# the README's "## Configuration": paragraphs, examples, and the table of
# keys as a tagged list
awk -v version="$version" '
function inline(s) {
    gsub(/\\/, "\\e", s)
    while (match(s, /`[^`]*`/))
        s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
    while (match(s, /\[[^]]*\]\([^)]*\)/)) {
        t = substr(s, RSTART + 1, RLENGTH)
        sub(/\].*/, "", t)
        s = substr(s, 1, RSTART - 1) t substr(s, RSTART + RLENGTH)
    }
    sub(/^[.'"'"']/, "\\\\\\&&", s)
    return s
}
BEGIN {
    print ".TH POKERFACE.JSON 5 \"\" \"pokerface " version "\" \"File Formats\""
    print ".SH NAME"
    print "pokerface.json \\- configuration of the pokerface moderation bot"
    print ".SH DESCRIPTION"
}
/^## / { on = ($0 == "## Configuration"); if (!on && done) exit; if (on) done = 1; next }
!on { next }
/^\| key \|/ || /^\|---/ { if (!keys) { print ".SH KEYS"; keys = 1 }; next }
/^\| / {
    n = split($0, f, / \| /)
    key = f[1]; sub(/^\| /, "", key)
    mean = f[n]; sub(/ \|$/, "", mean)
    def = f[2]
    for (i = 3; i < n; i++) def = def " | " f[i]
    print ".TP"
    print inline(key) (def == "—" ? "" : " (default: " inline(def) ")")
    print inline(mean)
    next
}
/^    / { if (!pre) { print ".PP\n.nf"; pre = 1 }; line = substr($0, 5); print inline(line); next }
/^$/ { if (pre) { print ".fi"; pre = 0 }; para = 1; next }
{
    if (keys && !after) { print ".SH NOTES"; after = 1 }
    if (para) { print ".PP"; para = 0 }
    print inline($0)
}
END {
    if (pre) print ".fi"
    print ".SH SEE ALSO"
    print ".BR pokerface (1)"
}' "$readme" >"$out/pokerface.json.5"
