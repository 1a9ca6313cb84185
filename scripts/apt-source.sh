# Sourced by scripts/setup.sh and scripts/guest-test.sh.
#
# debian_uri SUITE prints the URI of the first apt source for SUITE with the
# main component, from one-line sources (sources.list, *.list) or deb822 ones
# (*.sources), so that backports comes from the mirror already in use.
debian_uri() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v suite="$1" '
			$1 == "deb" {
				i = 2
				if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) != suite) next
				for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v suite="$1" '
			function has(list, word) { return (" " list " ") ~ (" " word " ") }
			function stanza() {
				if (has(v["types"], "deb") && has(v["suites"], suite) && has(v["components"], "main") && tolower(v["enabled"]) !~ /no/) {
					split(v["uris"], u, " "); print u[1]; found = 1; exit
				}
				delete v
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { stanza(); next }
			/^[ \t]/ { v[key] = v[key] " " $0; next }
			{
				key = tolower(substr($0, 1, index($0, ":") - 1))
				v[key] = substr($0, index($0, ":") + 1)
				gsub(/[ \t]+/, " ", v[key])
			}
			END { if (!found) stanza() }' "$f"
	done
}
