package a

// alpha beta beta
var x = alpha.beta(gamma_1)
