package d

// beta
