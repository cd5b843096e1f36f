package b

// héllo wörld, héllo: x+x
