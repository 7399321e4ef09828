# Drive zsh's real completion system on a pseudo-terminal (zpty) and print
# what it offers. Used by test_sync.py:
#   zsh -f complete.zsh FPATH_DIR LINE...
# For each LINE (typed, then TAB), prints the matches (without the prefix
# typed so far), one a line, and then the line "<<<DONE". Nothing is
# inserted or listed: the post-completion hook clears compstate[insert] and
# compstate[list], so the next LINE starts from an empty buffer.
zmodload zsh/zpty || exit 1
dir=$1
shift
zpty z zsh -f -i
# The markers are printed as "<<<MA""TCH" etc. so that the echo of these
# definitions on the terminal does not look like output.
zpty -w z "PS1='' PROMPT_EOL_MARK='' fpath=(${(q)dir} \$fpath)"
zpty -w z 'autoload -Uz compinit && compinit -u -D'
zpty -w z 'bindkey "^I" complete-word'
zpty -w z '_zc_pre() { print -r -- "<<<BE""GIN" }'
zpty -w z '_zc_post() { compstate[insert]= compstate[list]=; print -r -- "<<<E""ND"; compprefuncs=(_zc_pre) comppostfuncs=(_zc_post) }'
zpty -w z 'compprefuncs=(_zc_pre) comppostfuncs=(_zc_post)'
# Report every match actually added; calls that only test (-O, -A, -D)
# add nothing.
zpty -w z 'compadd() { if [[ " ${@[1,(i)(-|--)]} " == *" "-[OAD]" "* ]]; then builtin compadd "$@"; return; fi; local -a _zc_hits; builtin compadd -A _zc_hits "$@"; local h; for h in $_zc_hits; do print -r -- "<<<MA""TCH$h"; done; builtin compadd "$@" }'
for line; do
	zpty -w -n z "$line"$'\t'
	while zpty -r z out; do
		[[ $out == *'<<<BEGIN'* ]] && break
	done
	while zpty -r z out; do
		out=${out//[$'\r\n']/}
		[[ $out == *'<<<END'* ]] && break
		[[ $out == '<<<MATCH'* ]] && print -r -- ${out#'<<<MATCH'}
	done
	print -r -- '<<<DONE'
	# empty the line (emacs keymap: kill-whole-line)
	zpty -w -n z $'\x15'
done
zpty -w z 'exit'
zpty -d z
