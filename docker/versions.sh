# Sourced (POSIX sh) by the Dockerfiles: exports every KEY=VALUE of versions.env, except that a
# non-empty variable of the same name already in the environment (a docker build arg) wins.
# versions.env stays the single place where versions are written; docker/build.sh passes the
# same values as build args, so both routes agree.
_vf="${VERSIONS_ENV:-/opt/coarsealign/versions.env}"
[ -r "$_vf" ] || { echo "versions.sh: cannot read $_vf" >&2; exit 1; }
for _k in $(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' "$_vf"); do
	eval "_ov=\${$_k:-}"
	_fv=$(sed -n "s/^$_k=//p" "$_vf" | head -n 1)
	eval "export $_k=\"\${_ov:-\$_fv}\""
done
unset _vf _k _ov _fv
