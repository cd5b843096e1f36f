beta
